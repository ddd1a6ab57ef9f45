import type { ClientBase } from 'pg';

export interface TableShape {
  schema: string;
  table: string;
  /** Primary key columns, in key order. */
  primaryKey: string[];
  columns: { name: string; type: string; notNull: boolean; hasDefault: boolean; isSerial: boolean }[];
  /** Columns that belong to a unique constraint or index other than the primary key. */
  uniqueColumns: string[];
  /** Foreign keys that point at this table: (referencing table, its columns, our columns). */
  referencedBy: { schema: string; table: string; columns: string[]; refColumns: string[] }[];
  /** The sequence feeding the primary key, if any. */
  keySequence?: string;
}

/** Reads a table's shape from the catalog: nothing about any application table is assumed. */
export async function tableShape(client: ClientBase, schema: string, table: string): Promise<TableShape> {
  const { rows: [rel] } = await client.query<{ oid: number }>(
    `SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  if (!rel) throw new Error(`There is no table ${schema}.${table} in the sandbox: expected it from the golden. Was it dropped?`);
  const { rows: columns } = await client.query<{ name: string; type: string; not_null: boolean; has_default: boolean; is_serial: boolean }>(
    `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            (d.adbin IS NOT NULL OR a.attidentity <> '') AS has_default,
            coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false) OR a.attidentity <> '' AS is_serial
       FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [rel.oid],
  );
  const { rows: keys } = await client.query<{ primary: boolean; columns: string[] }>(
    `SELECT i.indisprimary AS primary, array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                                              JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
       FROM pg_catalog.pg_index i WHERE i.indrelid = $1 AND i.indisunique`,
    [rel.oid],
  );
  const { rows: referencedBy } = await client.query<{ schema: string; table: string; columns: string[]; ref_columns: string[] }>(
    `SELECT n.nspname AS schema, c.relname AS table,
            array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
            array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS ref_columns
       FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE con.contype = 'f' AND con.confrelid = $1`,
    [rel.oid],
  );
  const primaryKey = keys.find((k) => k.primary)?.columns ?? [];
  const { rows: [sequence] } = await client.query<{ seq: string | null }>(
    `SELECT pg_catalog.pg_get_serial_sequence(pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2), $3) AS seq`,
    [schema, table, primaryKey[0] ?? ''],
  ).catch(() => ({ rows: [{ seq: null }] }));
  return {
    schema,
    table,
    primaryKey,
    columns: columns.map((c) => ({ name: c.name, type: c.type, notNull: c.not_null, hasDefault: c.has_default, isSerial: c.is_serial })),
    uniqueColumns: [...new Set(keys.filter((k) => !k.primary).flatMap((k) => k.columns))],
    referencedBy: referencedBy.map((r) => ({ schema: r.schema, table: r.table, columns: r.columns, refColumns: r.ref_columns })),
    keySequence: sequence?.seq ?? undefined,
  };
}
