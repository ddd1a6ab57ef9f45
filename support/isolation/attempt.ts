import type { ClientBase } from 'pg';
import { connect, type PgConnection } from '../db/connect';
import { redact } from '../db/redact';

/** What came of something the server was asked to do: done, or refused with its SQLSTATE and message. */
export type Attempt = { ok: true } | { ok: false; code: string | undefined; message: string };

/** An attempt that failed, as the server explained it; the message is redacted (it may quote a connection string). */
export function refusalOf(error: unknown): Attempt {
  const code = (error as { code?: unknown })?.code;
  return { ok: false, code: typeof code === 'string' ? code : undefined, message: redact(error instanceof Error ? error.message : String(error)) };
}

/** Describes an attempt for an assertion message. */
export function describeAttempt(attempt: Attempt | undefined): string {
  if (!attempt) return 'nothing was attempted';
  return attempt.ok ? 'it was done' : `refused with ${attempt.code ?? 'no code'}: ${attempt.message}`;
}

/** Runs one statement outside any transaction (DROP and CREATE DATABASE cannot run inside one). */
export async function tryStatement(client: ClientBase, sql: string): Promise<Attempt> {
  return client.query(sql).then(() => ({ ok: true }) as const, refusalOf);
}

/**
 * Runs `work` in a transaction that is always rolled back, so that an attempt which the server wrongly
 * allows still changes nothing. Waits on locks at most `lockTimeoutMs` (a busy production never hangs it).
 */
export async function tryRolledBack(client: ClientBase, work: (client: ClientBase) => Promise<unknown>, lockTimeoutMs: number): Promise<Attempt> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(lockTimeoutMs))}`);
    await work(client);
    return { ok: true };
  } catch (error) {
    return refusalOf(error);
  } finally {
    await client.query('ROLLBACK');
  }
}

/** Tries each change in its own rolled-back transaction on one connection, in order. */
export async function tryEachRolledBack<Scope>(
  client: ClientBase,
  changes: { attempt: string; change: (client: ClientBase, scope: Scope) => Promise<unknown> }[],
  scope: Scope,
  lockTimeoutMs: number,
): Promise<{ attempt: string; result: Attempt }[]> {
  const results = [];
  for (const { attempt, change } of changes) results.push({ attempt, result: await tryRolledBack(client, (c) => change(c, scope), lockTimeoutMs) });
  return results;
}

/** Tries to open a connection, and closes it at once if it opens. */
export async function tryConnect(conn: PgConnection, connectTimeoutMs: number): Promise<Attempt> {
  try {
    const client = await connect(conn, connectTimeoutMs);
    await client.end().catch(() => undefined);
    return { ok: true };
  } catch (error) {
    return refusalOf(error);
  }
}
