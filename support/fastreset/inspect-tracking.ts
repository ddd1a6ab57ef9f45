import type { ClientBase, QueryResult } from 'pg';
import { qualified } from '../db/ident';
import { catalogObjectsSql, catalogSummarySql } from './catalog-snapshot';
import { TRACK_TABLES, type ResolvedTrackingOptions } from './options';
import type { TableToRestore } from './restore-sql';

/** What the tracking says changed since the last reset, when it can be trusted (sequences: see changedSequencesSql). */
export interface TrackedChanges {
  /** Tables with tracked changes, in name order, with what restoring them needs. */
  tables: (TableToRestore & { keys: number })[];
}

/** Either the tracked changes, or why the tracking cannot be trusted (and the canonical reset must run). */
export type TrackingInspection = { changes: TrackedChanges; untrusted?: undefined } | { untrusted: string; changes?: undefined };

interface StateRow {
  token_sha256: string;
  golden_sha256: string | null;
  unsupported: string | null;
  app_schema: string;
  table_pattern: string;
  copy_schema: string;
  catalog_objects: string | null;
  catalog_hash: string | null;
  objects: string;
  hash: string;
}

interface ChangeRow {
  tbl: string;
  truncated: boolean;
  whole: boolean;
  keys: string;
  known: boolean;
  key_columns: string[] | null;
  insert_columns: string[] | null;
  update_columns: string[] | null;
  update_in_place: boolean | null;
}

const MISSING = new Set(['42P01', '3F000', '42883']);

/**
 * Reads, in the caller's transaction, whether the tracking installed by the last canonical reset is intact
 * and trusted, and if so which tables changed: one round trip of two statements (state and catalog
 * snapshot, bookkeeping summary). Untrusted when the tracking is missing, was installed by another run
 * (another token) or for another golden or scope, covers a table it cannot restore, or when any DDL
 * touched the application, the copy or the tracking since (a dropped or disabled trigger, a replaced
 * function, a guard removed to edit the bookkeeping...), or a table was truncated.
 */
export async function inspectTracking(client: ClientBase, o: ResolvedTrackingOptions): Promise<TrackingInspection> {
  const track = (table: string) => qualified(o.trackSchema, table);
  let results: QueryResult[];
  try {
    results = (await client.query(`
SELECT st.token_sha256, st.golden_sha256, st.unsupported, st.app_schema, st.table_pattern, st.copy_schema,
       st.catalog_objects::text, st.catalog_hash::text, cur.objects, cur.hash
  FROM ${track(TRACK_TABLES.state)} st, (${catalogSummarySql(o)}) cur;
SELECT c.tbl, bool_or(c.truncated) AS truncated, bool_or(c.k IS NULL) AS whole, count(DISTINCT c.k)::text AS keys, t.tbl IS NOT NULL AS known,
       t.key_columns, t.insert_columns, t.update_columns, t.update_in_place
  FROM ${track(TRACK_TABLES.changes)} c LEFT JOIN ${track(TRACK_TABLES.tables)} t ON t.tbl = c.tbl
 GROUP BY c.tbl, t.tbl, t.key_columns, t.insert_columns, t.update_columns, t.update_in_place ORDER BY c.tbl`)) as unknown as QueryResult[];
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && MISSING.has(code)) return { untrusted: `the change tracking is missing (${(error as Error).message}): it was dropped, or the last reset did not install it` };
    throw error;
  }
  const [stateResult, changeResult] = results;
  const states = stateResult.rows as StateRow[];
  if (states.length !== 1) return { untrusted: `the tracking's state table holds ${states.length} rows instead of 1: it was tampered with` };
  const [st] = states;
  if (st.token_sha256 !== o.tokenSha256) return { untrusted: 'the tracking was installed by another run or process: the starting state is unknown' };
  if (st.app_schema !== o.appSchema || st.table_pattern !== o.tablePattern || st.copy_schema !== o.copySchema) {
    return { untrusted: `the tracking covers tables LIKE '${st.table_pattern}' of "${st.app_schema}" restored from "${st.copy_schema}", not the configured scope` };
  }
  if (o.goldenSha256 && st.golden_sha256 !== o.goldenSha256) return { untrusted: `the last reset was to another golden (sha256 ${st.golden_sha256 ?? 'unknown'})` };
  if (st.unsupported) return { untrusted: `the fast reset cannot restore every application table: ${st.unsupported}` };
  const rows = changeResult.rows as ChangeRow[];
  // A truncation also changes the catalog (a new relfilenode): named first, as the likelier cause.
  const truncated = rows.filter((r) => r.truncated).map((r) => r.tbl);
  if (truncated.length) return { untrusted: `truncated since the last reset: ${truncated.join(', ')}` };
  if (st.catalog_objects !== st.objects || st.catalog_hash !== st.hash) {
    return { untrusted: `the structure changed since the last reset (DDL): ${await explainCatalogChange(client, o)}` };
  }
  const unknown = rows.filter((r) => !r.known).map((r) => r.tbl);
  if (unknown.length) return { untrusted: `the bookkeeping names tables the tracking does not cover: ${unknown.join(', ')}` };
  return {
    changes: {
      tables: rows.map((r) => ({
        table: r.tbl,
        keyColumns: r.key_columns!,
        insertColumns: r.insert_columns!,
        updateColumns: r.update_columns!,
        updateInPlace: r.update_in_place!,
        whole: r.whole,
        keys: Number(r.keys),
      })),
    },
  };
}

/** Names up to five objects whose catalog rows changed since the snapshot. */
async function explainCatalogChange(client: ClientBase, o: ResolvedTrackingOptions): Promise<string> {
  const { rows } = await client.query<{ obj: string; how: string; total: string }>(`
SELECT coalesce(a.obj, b.obj) AS obj, CASE WHEN a.obj IS NULL THEN 'appeared' WHEN b.obj IS NULL THEN 'disappeared' ELSE 'changed' END AS how,
       count(*) OVER ()::text AS total
  FROM ${qualified(o.trackSchema, TRACK_TABLES.catalog)} a FULL JOIN (${catalogObjectsSql(o)}) b ON a.obj = b.obj
 WHERE a.h IS DISTINCT FROM b.h OR a.rows IS DISTINCT FROM b.rows ORDER BY 1 LIMIT 5`);
  if (!rows.length) return 'the catalog snapshot no longer matches its own record (the tracking was tampered with)';
  const more = Number(rows[0].total) - rows.length;
  return rows.map((r) => `${r.obj} ${r.how}`).join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/**
 * The application sequences whose state differs from the reset's (nextval fires no trigger, so they are
 * compared, not tracked): pg_sequence_last_value for those the reset left called, the exact value for those
 * it left uncalled. Each row sets its sequence back when `setBack`.
 */
export function changedSequencesSql(o: ResolvedTrackingOptions, setBack: boolean): string {
  const track = (table: string) => qualified(o.trackSchema, table);
  return `SELECT s.seq::text AS seq${setBack ? ', pg_catalog.setval(s.seq, s.last_value, s.is_called)' : ''} FROM ${track(TRACK_TABLES.sequences)} s
 WHERE CASE WHEN s.is_called THEN pg_catalog.pg_sequence_last_value(s.seq) IS DISTINCT FROM s.last_value
            ELSE pg_catalog.pg_sequence_last_value(s.seq) IS NOT NULL OR ${track('bdd_track_sequence_last_value')}(s.seq) <> s.last_value END
 ORDER BY 1`;
}
