import type { ClientBase } from 'pg';

/** What counts as the application: tables matching a pattern in one schema, and that schema's own functions. */
export interface AppScope {
  schema: string;
  /** SQL LIKE pattern, e.g. llx\_% */
  tablePattern: string;
}

export interface ScopeObjects {
  tables: string[];
  /** Relations in the app schema that are not the application's (excluded from the golden). */
  foreignRelations: string[];
  /** Every other user schema, e.g. the provisioner's pooler (excluded from the golden). */
  otherSchemas: string[];
}

/** Discovers the application's tables, and what else lives in its schema, from the catalog. */
export async function discoverScope(client: ClientBase, scope: AppScope): Promise<ScopeObjects> {
  const { rows } = await client.query<{ relname: string; app: boolean }>(
    `SELECT c.relname, (c.relkind IN ('r', 'p') AND c.relname LIKE $2) AS app
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        -- a sequence owned by an application table belongs to it
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
                         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
                           AND c.relkind = 'S' AND t.relname LIKE $2 AND t.relnamespace = n.oid)
      ORDER BY c.relname`,
    [scope.schema, scope.tablePattern],
  );
  const { rows: schemas } = await client.query<{ nspname: string }>(
    `SELECT nspname FROM pg_catalog.pg_namespace
      WHERE nspname <> $1 AND nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
      ORDER BY nspname`,
    [scope.schema],
  );
  return {
    otherSchemas: schemas.map((r) => r.nspname),
    tables: rows.filter((r) => r.app).map((r) => r.relname),
    foreignRelations: rows.filter((r) => !r.app).map((r) => r.relname),
  };
}
