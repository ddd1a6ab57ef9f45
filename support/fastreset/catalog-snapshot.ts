import { quoteLiteral } from '../db/ident';

export interface SnapshotSchemas {
  appSchema: string;
  copySchema: string;
  trackSchema: string;
}

/**
 * A SELECT of (obj, h): for every relation, function and schema the fast reset depends on, a hash of the
 * versions (oid, xmin) of its catalog rows. DDL writes new catalog row versions, with a new xmin; DML,
 * nextval, setval, VACUUM and ANALYZE (in-place updates) do not. So the snapshot taken inside the reset's
 * transaction is equal later exactly when no DDL touched these objects: no column, constraint, index,
 * trigger (dropped, disabled or added), default, rule, policy, sequence option, grant, owner or function
 * changed, no relation appeared, vanished or was truncated (new relfilenode), in the application schema, the
 * tracking schema, or (relations and triggers only) the copy. It reads only the catalog: a few milliseconds
 * on ~400 tables, where the full catalog fingerprint deparses every definition.
 *
 * The same text runs at install (inside the reset) and at every check; it is sent by the client, never read
 * from the database, so replaced tracking functions cannot fake it.
 */
export function catalogSnapshotSql(s: SnapshotSchemas): string {
  const app = quoteLiteral(s.appSchema);
  const copy = quoteLiteral(s.copySchema);
  const track = quoteLiteral(s.trackSchema);
  const h = (parts: string) => `pg_catalog.hashtextextended(${parts}, 0)`;
  return `
WITH ns AS MATERIALIZED (
  SELECT oid, nspname, xmin FROM pg_catalog.pg_namespace WHERE nspname IN (${app}, ${copy}, ${track})
), rel AS MATERIALIZED (
  SELECT c.oid, c.xmin, c.relname, n.nspname, n.nspname <> ${copy} AS deep
    FROM pg_catalog.pg_class c JOIN ns n ON n.oid = c.relnamespace
), deep AS MATERIALIZED (
  SELECT oid FROM rel WHERE deep
), parts (relid, h) AS (
  SELECT oid, ${h(`'c' || oid::text || ':' || xmin::text`)} FROM rel
  UNION ALL SELECT tgrelid, ${h(`'t' || oid::text || ':' || xmin::text`)} FROM pg_catalog.pg_trigger WHERE tgrelid IN (SELECT oid FROM rel)
  UNION ALL SELECT attrelid, ${h(`'a' || attnum::text || ':' || xmin::text`)} FROM pg_catalog.pg_attribute WHERE attrelid IN (SELECT oid FROM deep) AND attnum > 0
  UNION ALL SELECT adrelid, ${h(`'d' || oid::text || ':' || xmin::text`)} FROM pg_catalog.pg_attrdef WHERE adrelid IN (SELECT oid FROM deep)
  UNION ALL SELECT conrelid, ${h(`'k' || oid::text || ':' || xmin::text`)} FROM pg_catalog.pg_constraint WHERE conrelid IN (SELECT oid FROM deep)
  UNION ALL SELECT confrelid, ${h(`'f' || oid::text || ':' || xmin::text`)} FROM pg_catalog.pg_constraint
   WHERE confrelid IN (SELECT oid FROM deep) AND conrelid NOT IN (SELECT oid FROM deep)
  UNION ALL SELECT indrelid, ${h(`'i' || indexrelid::text || ':' || xmin::text`)} FROM pg_catalog.pg_index WHERE indrelid IN (SELECT oid FROM deep)
  UNION ALL SELECT seqrelid, ${h(`'s' || xmin::text`)} FROM pg_catalog.pg_sequence WHERE seqrelid IN (SELECT oid FROM deep)
  UNION ALL SELECT objid, ${h(`'o' || refobjid::text || ':' || refobjsubid::text || ':' || deptype::text || ':' || xmin::text`)} FROM pg_catalog.pg_depend
   WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND objid IN (SELECT oid FROM deep) AND objsubid = 0
  UNION ALL SELECT ev_class, ${h(`'r' || oid::text || ':' || xmin::text`)} FROM pg_catalog.pg_rewrite WHERE ev_class IN (SELECT oid FROM rel)
  UNION ALL SELECT polrelid, ${h(`'p' || oid::text || ':' || xmin::text`)} FROM pg_catalog.pg_policy WHERE polrelid IN (SELECT oid FROM rel)
  UNION ALL SELECT inhrelid, ${h(`'h' || inhparent::text || ':' || xmin::text`)} FROM pg_catalog.pg_inherits WHERE inhrelid IN (SELECT oid FROM deep)
)
SELECT 'relation ' || r.nspname || '.' || r.relname AS obj, sum(p.h) AS h
  FROM parts p JOIN rel r ON r.oid = p.relid GROUP BY r.nspname, r.relname
UNION ALL
SELECT 'function ' || p.oid::pg_catalog.regprocedure::text, ${h(`p.oid::text || ':' || p.xmin::text`)}::numeric
  FROM pg_catalog.pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns WHERE nspname <> ${copy})
UNION ALL
SELECT 'schema ' || nspname, ${h(`oid::text || ':' || xmin::text`)}::numeric FROM ns`;
}

/** One row: the number of objects and the sum of their hashes; what the state row records at install. */
export function catalogSummarySql(s: SnapshotSchemas): string {
  return `SELECT count(*) AS objects, coalesce(sum(h), 0) AS hash FROM (${catalogSnapshotSql(s)}) snapshot`;
}
