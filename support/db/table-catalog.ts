import type { ClientBase } from 'pg';
import { quoteIdent } from './ident';

/** What the harness needs to know about one table, read from the catalog (nothing is assumed about any table). */
export interface TableInfo {
  name: string;
  /** In column order; dropped columns are not listed. */
  columns: string[];
  /** Each column's type as format_type prints it, aligned with `columns`. */
  columnTypes: string[];
  /** Columns the database fills itself (serial default or identity), key or not. */
  serialColumns: string[];
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
  /** Primary key columns the database fills itself (serial default or identity): production assigns its own. */
  generatedKey: string[];
  /** Column lists of the other unique indexes (plain columns, not partial): the table's natural keys. */
  uniqueKeys: string[][];
}

export interface ForeignKey {
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

export interface SchemaCatalog {
  tables: Map<string, TableInfo>;
  /** Foreign keys between tables of this catalog only. */
  foreignKeys: ForeignKey[];
}

// attnames of an int2vector/int2[] of attnums, in their order.
const namesOf = (rel: string, nums: string) =>
  `array(SELECT a.attname FROM unnest(${nums}::int2[]) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.attnum ORDER BY k.ord)::text[]`;

const TABLES_SQL = `
SELECT c.relname AS name,
       array(SELECT a.attname FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)::text[] AS columns,
       array(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)::text[] AS column_types,
       coalesce((SELECT ${namesOf('i.indrelid', 'i.indkey')} FROM pg_catalog.pg_index i
                  WHERE i.indrelid = c.oid AND i.indisprimary), '{}') AS primary_key,
       array(SELECT a.attname FROM pg_catalog.pg_attribute a
               LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                AND (a.attidentity <> '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')
              ORDER BY a.attnum)::text[] AS generated,
       (SELECT coalesce(pg_catalog.json_agg(u.cols ORDER BY u.index_name), '[]')
          FROM (SELECT ${namesOf('i.indrelid', 'i.indkey')} AS cols, ic.relname AS index_name
                  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                 WHERE i.indrelid = c.oid AND i.indisunique AND NOT i.indisprimary AND i.indpred IS NULL
                   AND i.indexprs IS NULL) u) AS unique_keys
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname LIKE $2 AND NOT c.relname = ANY ($3::text[])
 ORDER BY c.relname`;

const FOREIGN_KEYS_SQL = `
SELECT c.relname AS table, ${namesOf('con.conrelid', 'con.conkey')} AS columns,
       r.relname AS ref_table, ${namesOf('con.confrelid', 'con.confkey')} AS ref_columns
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
  JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
 WHERE con.contype = 'f' AND c.relnamespace = $1::regnamespace AND r.relnamespace = $1::regnamespace
   AND c.relname = ANY ($2::text[]) AND r.relname = ANY ($2::text[])
 ORDER BY c.relname, con.conname`;

/** Reads every table of `schema` whose name is LIKE `tablePattern` (except `exclude`), and the foreign keys between them. */
export async function readSchemaCatalog(client: ClientBase, schema: string, tablePattern: string, exclude: string[] = []): Promise<SchemaCatalog> {
  const { rows } = await client.query<{ name: string; columns: string[]; column_types: string[]; primary_key: string[]; generated: string[]; unique_keys: string[][] }>(
    TABLES_SQL,
    [schema, tablePattern, exclude],
  );
  const tables = new Map<string, TableInfo>();
  for (const row of rows) {
    tables.set(row.name, {
      name: row.name,
      columns: row.columns,
      columnTypes: row.column_types,
      serialColumns: row.generated,
      primaryKey: row.primary_key,
      generatedKey: row.generated.filter((column) => row.primary_key.includes(column)),
      uniqueKeys: row.unique_keys,
    });
  }
  if (!tables.size) return { tables, foreignKeys: [] };
  // regnamespace parses its input as an identifier: quoted, any schema name resolves to itself.
  const { rows: keys } = await client.query<{ table: string; columns: string[]; ref_table: string; ref_columns: string[] }>(
    FOREIGN_KEYS_SQL,
    [quoteIdent(schema), [...tables.keys()]],
  );
  return { tables, foreignKeys: keys.map((k) => ({ table: k.table, columns: k.columns, refTable: k.ref_table, refColumns: k.ref_columns })) };
}
