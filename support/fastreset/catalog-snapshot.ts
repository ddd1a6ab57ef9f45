import { quoteLiteral } from '../db/ident';

export interface SnapshotSchemas {
  appSchema: string;
  copySchema: string;
  trackSchema: string;
}

/**
 * A SELECT of (relid, label, x): one row per catalog row the fast reset depends on, x being the row's
 * xmin (the transaction that wrote this version of it). Relation parts carry the relation's oid, functions
 * and schemas a label.
 *
 * Why xmin: DDL writes new catalog row versions; DML, nextval, setval, VACUUM and ANALYZE (in-place
 * updates) do not. Every row version written after the snapshot has an xmin greater than every version it
 * replaces or removes, so (count, sum of xmin) taken inside the reset's transaction is equal later exactly
 * when no DDL left these objects different: no column, default, constraint, index, trigger (dropped,
 * disabled, added), rule, policy, inheritance, sequence option or ownership, grant, owner, function or schema
 * changed, and no relation appeared, vanished or was truncated (new relfilenode). It covers the application
 * schema and the tracking schema in depth, and the copy's relations and triggers (the guard). It reads only
 * catalog rows, by index where the list is long: about ten milliseconds on ~400 tables, where the full catalog
 * fingerprint deparses every definition.
 *
 * The text is sent by the client at install and at every check, never read from the database, so replaced
 * tracking functions cannot fake it. (Assumes no xid wraparound between the reset and the check.)
 */
export function catalogPartsSql(s: SnapshotSchemas): string {
  const app = quoteLiteral(s.appSchema);
  const copy = quoteLiteral(s.copySchema);
  const track = quoteLiteral(s.trackSchema);
  const x = (alias: string) => `${alias}.xmin::text::int8`;
  const deepTables = `((SELECT deep FROM tabs)::oid[])`;
  return `
WITH ns AS MATERIALIZED (
  SELECT oid, xmin, nspname FROM pg_catalog.pg_namespace WHERE nspname IN (${app}, ${copy}, ${track})
), rel AS MATERIALIZED (
  SELECT c.oid, c.xmin, c.relkind, n.nspname <> ${copy} AS deep FROM pg_catalog.pg_class c JOIN ns n ON n.oid = c.relnamespace
), tabs AS MATERIALIZED (
  SELECT pg_catalog.array_agg(oid) FILTER (WHERE deep) AS deep FROM rel WHERE relkind IN ('r', 'p')
), seqs AS MATERIALIZED (
  SELECT pg_catalog.array_agg(oid) AS oids FROM rel WHERE relkind = 'S' AND deep
), parts (relid, label, x) AS (
  SELECT r.oid, NULL::text, ${x('r')} FROM rel r
  UNION ALL SELECT NULL, 'schema ' || n.nspname, ${x('n')} FROM ns n
  UNION ALL SELECT t.tgrelid, NULL, ${x('t')} FROM pg_catalog.pg_trigger t JOIN rel r ON r.oid = t.tgrelid
  UNION ALL SELECT a.attrelid, NULL, ${x('a')} FROM pg_catalog.pg_attribute a WHERE a.attrelid = ANY ${deepTables} AND a.attnum > 0
  UNION ALL SELECT d.adrelid, NULL, ${x('d')} FROM pg_catalog.pg_attrdef d WHERE d.adrelid = ANY ${deepTables}
  UNION ALL SELECT nullif(k.conrelid, 0), CASE WHEN k.conrelid = 0 THEN 'constraint ' || k.conname END, ${x('k')}
              FROM pg_catalog.pg_constraint k WHERE k.connamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT i.indrelid, NULL, ${x('i')} FROM pg_catalog.pg_index i WHERE i.indrelid = ANY ${deepTables}
  UNION ALL SELECT s.seqrelid, NULL, ${x('s')} FROM pg_catalog.pg_sequence s WHERE s.seqrelid = ANY ((SELECT oids FROM seqs)::oid[])
  UNION ALL SELECT d.objid, NULL, ${x('d')} FROM pg_catalog.pg_depend d
             WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = ANY ((SELECT oids FROM seqs)::oid[])
               AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
  UNION ALL SELECT w.ev_class, NULL, ${x('w')} FROM pg_catalog.pg_rewrite w WHERE w.ev_class = ANY ${deepTables}
  UNION ALL SELECT p.polrelid, NULL, ${x('p')} FROM pg_catalog.pg_policy p WHERE p.polrelid = ANY ${deepTables}
  UNION ALL SELECT h.inhrelid, NULL, ${x('h')} FROM pg_catalog.pg_inherits h WHERE h.inhrelid = ANY ${deepTables}
  UNION ALL SELECT NULL, 'function ' || n.nspname || '.' || f.proname || '(' || pg_catalog.pg_get_function_identity_arguments(f.oid) || ')', ${x('f')}
              FROM pg_catalog.pg_proc f JOIN ns n ON n.oid = f.pronamespace
)`;
}

/** One row: how many catalog rows the snapshot covers and the sum of their xmins; what the state row records at install. */
export function catalogSummarySql(s: SnapshotSchemas): string {
  return `${catalogPartsSql(s)}\nSELECT count(*)::text AS objects, coalesce(sum(x), 0)::text AS hash FROM parts`;
}

/** The snapshot per object ("relation public.llx_facture", "function ...", "schema ..."), to name what changed. */
export function catalogObjectsSql(s: SnapshotSchemas): string {
  return `${catalogPartsSql(s)}
SELECT coalesce(p.label, 'relation ' || n.nspname || '.' || c.relname, 'relation ' || p.relid::text) AS obj, count(*)::int8 AS rows, sum(p.x) AS h
  FROM parts p LEFT JOIN pg_catalog.pg_class c ON c.oid = p.relid LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 GROUP BY 1`;
}
