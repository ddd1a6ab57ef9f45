import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { qualified } from '../db/ident';
import { discoverScope, type AppScope } from './scope';

export interface TableFingerprint {
  rows: number;
  /** sum and xor of per-row hashes: order-independent, and duplicates do not cancel out. */
  hash: string;
}

export interface SequenceState {
  lastValue: string;
  isCalled: boolean;
}

export interface DataFingerprint {
  tables: Record<string, TableFingerprint>;
  sequences: Record<string, SequenceState>;
}

export interface CatalogFingerprint {
  /** One hash for the whole application catalog. */
  fingerprint: string;
  /** A hash per object part ("table llx_facture: indexes"), so a mismatch can be named. */
  objects: Record<string, string>;
}

export interface Fingerprints {
  data: DataFingerprint;
  catalog: CatalogFingerprint;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Pins every setting that changes how a row prints as text, and qualifies every name in catalog output,
 * so that two databases with the same content print the same text. Runs inside the caller's transaction.
 */
export async function pinOutputSettings(client: ClientBase): Promise<void> {
  await client.query(`SET LOCAL search_path = pg_catalog; SET LOCAL extra_float_digits = 1; SET LOCAL DateStyle = 'ISO, MDY';
    SET LOCAL IntervalStyle = 'postgres'; SET LOCAL TimeZone = 'UTC'; SET LOCAL bytea_output = 'hex'`);
}

// Every part of the application's catalog that a restore must reproduce. Owners are written relative to
// the database owner, so production (owned by its owner) and the sandbox (owned by its own) compare equal,
// while an object owned by anyone else does not.
const CATALOG_SQL = `
WITH app AS (
  SELECT c.oid, c.relname, c.relkind, c.relowner, c.relrowsecurity
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname LIKE $2
), dbowner AS (
  SELECT datdba FROM pg_database WHERE datname = current_database()
), owner_of AS (
  SELECT r.oid, CASE WHEN r.oid = (SELECT datdba FROM dbowner) THEN '(database owner)' ELSE r.rolname END AS name FROM pg_roles r
)
SELECT 'table ' || a.relname || ': definition' AS object,
       'kind ' || a.relkind::text || ' owner ' || (SELECT name FROM owner_of WHERE oid = a.relowner) || ' rls ' || a.relrowsecurity::text AS definition
  FROM app a
UNION ALL
SELECT 'table ' || a.relname || ': columns',
       string_agg(format('%s %s%s%s%s%s', att.attname, format_type(att.atttypid, att.atttypmod),
                         CASE WHEN att.attnotnull THEN ' not null' ELSE '' END,
                         coalesce(' default ' || pg_get_expr(def.adbin, def.adrelid), ''),
                         CASE WHEN att.attidentity <> '' THEN ' identity ' || att.attidentity::text ELSE '' END,
                         CASE WHEN att.attgenerated <> '' THEN ' generated' ELSE '' END), ', ' ORDER BY att.attnum)
  FROM app a JOIN pg_attribute att ON att.attrelid = a.oid AND att.attnum > 0 AND NOT att.attisdropped
  LEFT JOIN pg_attrdef def ON def.adrelid = a.oid AND def.adnum = att.attnum
 GROUP BY a.relname
UNION ALL
SELECT 'table ' || a.relname || ': constraints', coalesce(string_agg(con.conname || ' ' || pg_get_constraintdef(con.oid), '; ' ORDER BY con.conname), '')
  FROM app a LEFT JOIN pg_constraint con ON con.conrelid = a.oid GROUP BY a.relname
UNION ALL
SELECT 'table ' || a.relname || ': indexes', coalesce(string_agg(pg_get_indexdef(i.indexrelid), '; ' ORDER BY ic.relname), '')
  FROM app a LEFT JOIN pg_index i ON i.indrelid = a.oid LEFT JOIN pg_class ic ON ic.oid = i.indexrelid GROUP BY a.relname
UNION ALL
SELECT 'table ' || a.relname || ': triggers', coalesce(string_agg(pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text, '; ' ORDER BY t.tgname), '')
  FROM app a LEFT JOIN pg_trigger t ON t.tgrelid = a.oid AND NOT t.tgisinternal AND t.tgname NOT LIKE 'zz\\_bdd\\_%' GROUP BY a.relname
UNION ALL
SELECT 'sequence ' || s.relname,
       format('%s start %s inc %s min %s max %s cache %s cycle %s owner %s owned by %s', format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement,
              q.seqmin, q.seqmax, q.seqcache, q.seqcycle, (SELECT name FROM owner_of WHERE oid = s.relowner),
              coalesce((SELECT a.relname || '.' || att.attname FROM pg_depend d JOIN app a ON a.oid = d.refobjid
                          JOIN pg_attribute att ON att.attrelid = d.refobjid AND att.attnum = d.refobjsubid
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i') LIMIT 1), 'nothing'))
  FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid JOIN pg_namespace n ON n.oid = s.relnamespace
 WHERE n.nspname = $1 AND s.relkind = 'S' AND (s.relname LIKE $2 OR EXISTS (
         SELECT 1 FROM pg_depend d JOIN app a ON a.oid = d.refobjid WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid))
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text, pg_get_functiondef(p.oid) || ' owner ' || (SELECT name FROM owner_of WHERE oid = p.proowner)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`;

/** The application catalog of the connected database, hashed per object part. Needs pinOutputSettings first. */
export async function catalogFingerprint(client: ClientBase, scope: AppScope): Promise<CatalogFingerprint> {
  const { rows } = await client.query<{ object: string; definition: string }>(CATALOG_SQL, [scope.schema, scope.tablePattern]);
  const objects: Record<string, string> = {};
  for (const row of rows.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0))) {
    objects[row.object] = sha256(row.definition);
  }
  return { fingerprint: sha256(JSON.stringify(objects)), objects };
}

/** Row count and content hash of every given table, and the state of their sequences, in one round trip each. */
export async function dataFingerprint(client: ClientBase, scope: AppScope, tables: string[]): Promise<DataFingerprint> {
  const result: DataFingerprint = { tables: {}, sequences: {} };
  if (tables.length) {
    const parts = tables.map(
      (table, i) =>
        `SELECT ${i} AS i, count(*) AS n, coalesce(sum(h), 0)::text || ':' || coalesce(bit_xor(h), 0)::text AS hash
           FROM (SELECT hashtextextended(ROW(t.*)::text, 0) AS h FROM ${qualified(scope.schema, table)} t) s`,
    );
    const { rows } = await client.query<{ i: number; n: string; hash: string }>(parts.join('\nUNION ALL\n'));
    for (const row of rows) result.tables[tables[row.i]] = { rows: Number(row.n), hash: row.hash };
  }
  const { rows: sequences } = await client.query<{ relname: string }>(
    `SELECT s.relname FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
      WHERE n.nspname = $1 AND s.relkind = 'S' AND (s.relname LIKE $2 OR EXISTS (
        SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND t.relname LIKE $2 AND t.relnamespace = n.oid))
      ORDER BY s.relname`,
    [scope.schema, scope.tablePattern],
  );
  if (sequences.length) {
    const parts = sequences.map((s, i) => `SELECT ${i} AS i, last_value::text AS last_value, is_called FROM ${qualified(scope.schema, s.relname)}`);
    const { rows } = await client.query<{ i: number; last_value: string; is_called: boolean }>(parts.join('\nUNION ALL\n'));
    for (const row of rows) result.sequences[sequences[row.i].relname] = { lastValue: row.last_value, isCalled: row.is_called };
  }
  return result;
}

export interface Difference {
  what: string;
  expected: string;
  found: string;
}

/** Lists every way `found` differs from `expected`, naming the table, sequence or catalog part. */
export function compareFingerprints(expected: Fingerprints, found: Fingerprints): Difference[] {
  const differences: Difference[] = [];
  const describe = (t?: TableFingerprint) => (t ? `${t.rows} rows, hash ${t.hash}` : 'absent');
  const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const table of keys(expected.data.tables, found.data.tables)) {
    const e = expected.data.tables[table];
    const f = found.data.tables[table];
    if (e?.rows !== f?.rows || e?.hash !== f?.hash) differences.push({ what: `table ${table}`, expected: describe(e), found: describe(f) });
  }
  const seq = (s?: SequenceState) => (s ? `last_value ${s.lastValue}${s.isCalled ? '' : ' (not yet called)'}` : 'absent');
  for (const name of keys(expected.data.sequences, found.data.sequences)) {
    const e = expected.data.sequences[name];
    const f = found.data.sequences[name];
    if (seq(e) !== seq(f)) differences.push({ what: `sequence ${name}`, expected: seq(e), found: seq(f) });
  }
  for (const object of keys(expected.catalog.objects, found.catalog.objects)) {
    const e = expected.catalog.objects[object];
    const f = found.catalog.objects[object];
    if (e !== f) differences.push({ what: `catalog ${object}`, expected: e ? 'as in the golden' : 'absent', found: f ? (e ? 'a different definition' : 'present') : 'absent' });
  }
  return differences;
}

/** Both fingerprints of the application scope, inside a transaction the caller has opened. */
export async function fingerprintInTransaction(client: ClientBase, scope: AppScope): Promise<Fingerprints> {
  await pinOutputSettings(client);
  const { tables } = await discoverScope(client, scope);
  const catalog = await catalogFingerprint(client, scope);
  const data = await dataFingerprint(client, scope, tables);
  return { data, catalog };
}

/** Both fingerprints of a database's application scope, read from one consistent snapshot. */
export async function fingerprintDatabase(client: ClientBase, scope: AppScope): Promise<Fingerprints> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    return await fingerprintInTransaction(client, scope);
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}
