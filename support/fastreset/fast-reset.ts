import type { ClientBase } from 'pg';
import { qualified, quoteIdent, quoteLiteral } from '../db/ident';
import { redact } from '../db/redact';
import { changedSequencesSql, inspectTracking } from './inspect-tracking';
import { resolveTrackingOptions, TRACK_TABLES, UNLOCK_SETTING, type TrackingOptions } from './options';
import { restoreCheckSql, restoreSql } from './restore-sql';

export interface FastResetOptions extends TrackingOptions {
  /** The NOLOGIN role owning the sandbox; the fast reset runs as it (SET ROLE), like the canonical reset's restore. */
  sandboxOwner: string;
  /** How long it waits for another session's locks before giving up (and falling back). */
  lockTimeoutMs: number;
}

export interface FastResetDone {
  fallback?: undefined;
  ms: number;
  /** Tables whose tracked rows were put back, with the number of distinct keys (whole: every row). */
  tables: { table: string; keys: number; whole: boolean }[];
  /** Sequences set back to the reset's state. */
  sequences: string[];
  /** Rows deleted or updated, and rows re-inserted. */
  removed: number;
  inserted: number;
  /** Milliseconds spent checking the tracking, restoring rows (with their check), and setting sequences back and committing. */
  phases: { inspect: number; restore: number; finish: number };
}

export interface FastResetFallback {
  /** Why the fast path could not be sure: run the canonical reset. Nothing was changed. */
  fallback: string;
  ms: number;
}

export type FastResetResult = FastResetDone | FastResetFallback;

/**
 * Puts the sandbox back to the baseline by undoing only what the tracking recorded, in ONE transaction as
 * the runtime login with SET ROLE to the sandbox owner: checks that the tracking is intact and trusted
 * (catalog snapshot, run token, golden, no truncation), restores the tracked rows from the baseline copy in
 * one statement, checks the restored rows against the copy and that the restore changed nothing else, sets
 * changed sequences back, clears the bookkeeping, commits. Three round trips; cost proportional to the
 * tracked rows plus a catalog read.
 *
 * Whenever it cannot be sure, it rolls back and returns `{ fallback: reason }`: run the canonical reset
 * then. (A restore that was attempted and rolled back may leave sequences advanced by application triggers
 * it fired: nextval is not transactional; the canonical reset sets them.) It never throws for a state of
 * the sandbox, only for a lost connection.
 * The client must not be in a transaction.
 */
export async function fastReset(client: ClientBase, options: FastResetOptions): Promise<FastResetResult> {
  const started = performance.now();
  const o = resolveTrackingOptions(options);
  const ms = () => performance.now() - started;
  const fallback = async (reason: string): Promise<FastResetFallback> => {
    await client.query('ROLLBACK').catch(() => undefined);
    return { fallback: redact(reason), ms: ms() };
  };
  try {
    await client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.round(options.lockTimeoutMs))}; SET LOCAL ROLE ${quoteIdent(options.sandboxOwner)};
      SELECT pg_catalog.set_config(${quoteLiteral(UNLOCK_SETTING)}, ${quoteLiteral(o.runToken)}, true)`);
    const inspection = await inspectTracking(client, o);
    const inspected = performance.now();
    if (inspection.untrusted !== undefined) return await fallback(inspection.untrusted);
    const { tables } = inspection.changes;

    let removed = 0;
    let inserted = 0;
    const restore = restoreSql(o, tables);
    if (restore) {
      const [counts, check] = (await client.query(`${restore};\n${restoreCheckSql(o, tables)}`)) as unknown as [
        { rows: { removed: string; inserted: string }[] },
        { rows: { tbl: string; problem: string }[] },
      ];
      removed = Number(counts.rows[0].removed);
      inserted = Number(counts.rows[0].inserted);
      if (check.rows.length) {
        return await fallback(`restoring the tracked rows did not give back the copy: ${check.rows.map((r) => `${r.tbl}: ${r.problem}`).join('; ')}`);
      }
    }
    const restored = performance.now();
    // setval is not transactional: it runs last, once everything else has succeeded, on what the restore left.
    const [setBack] = (await client.query(`${changedSequencesSql(o, true)};\nDELETE FROM ${qualified(o.trackSchema, TRACK_TABLES.changes)};\nCOMMIT`)) as unknown as [
      { rows: { seq: string }[] },
    ];
    const sequences = setBack.rows.map((r) => r.seq);
    const done = performance.now();
    const phases = { inspect: inspected - started, restore: restored - inspected, finish: done - restored };
    return { ms: ms(), phases, tables: tables.map((t) => ({ table: t.table, keys: t.keys, whole: t.whole || !t.keyColumns.length })), sequences, removed, inserted };
  } catch (error) {
    const code = (error as { code?: string }).code;
    // A broken connection is not a state of the sandbox: the caller must know.
    if (!code) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return fallback(`the fast reset failed (${code}): ${(error as Error).message}`);
  }
}
