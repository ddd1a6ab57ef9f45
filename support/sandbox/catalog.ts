import type { ClientBase } from 'pg';
import { readSchemaCatalog, type TableInfo } from '../db/table-catalog';
import type { AppScope } from '../golden/scope';

export interface TableShape extends TableInfo {
  schema: string;
  /** Columns that belong to a unique index other than the primary key. */
  uniqueColumns: string[];
  /** Foreign keys of application tables that point at this table. */
  referencedBy: { table: string; columns: string[]; refColumns: string[] }[];
  /** The sequence feeding the primary key, if any. */
  keySequence?: string;
}

/** One application table's shape, from the same catalog reader the diff uses. */
export async function tableShape(client: ClientBase, scope: AppScope, table: string): Promise<TableShape> {
  const catalog = await readSchemaCatalog(client, scope.schema, scope.tablePattern);
  const info = catalog.tables.get(table);
  if (!info) throw new Error(`There is no application table ${scope.schema}.${table} in this database: expected it from the golden. Was it dropped?`);
  const { rows: [sequence] } = await client.query<{ seq: string | null }>(
    `SELECT pg_catalog.pg_get_serial_sequence(pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2), $3) AS seq`,
    [scope.schema, table, info.primaryKey[0] ?? ''],
  ).catch(() => ({ rows: [{ seq: null }] }));
  return {
    ...info,
    schema: scope.schema,
    uniqueColumns: [...new Set(info.uniqueKeys.flat())],
    referencedBy: catalog.foreignKeys.filter((k) => k.refTable === table).map((k) => ({ table: k.table, columns: k.columns, refColumns: k.refColumns })),
    keySequence: sequence?.seq ?? undefined,
  };
}
