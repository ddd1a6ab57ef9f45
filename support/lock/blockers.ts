import type { ClientBase } from 'pg';
import { withClient, type PgConnection } from '../db/connect';
import { redact } from '../db/redact';

/** A session holding locks on objects the reset must drop, as far as this role may see it. */
export interface BlockingSession {
  pid: number;
  applicationName: string | null;
  user: string | null;
  clientAddr: string | null;
  /** Null when pg_stat_activity hides it from this role (another role's session, without pg_read_all_stats). */
  state: string | null;
  xactStart: Date | null;
  queryStart: Date | null;
  /** e.g. `public.llx_societe (RowExclusiveLock)` */
  locks: string[];
}

/**
 * Sessions other than this one that hold granted locks on relations of the current database owned by a
 * role whose objects this login's DROP OWNED drops (the sandbox owner, or the login itself): the sessions
 * a reset waits for. pg_locks is readable by every role; pg_stat_activity shows state and times of other
 * roles' sessions only to members of those roles or of pg_read_all_stats.
 */
export async function describeBlockers(client: ClientBase): Promise<BlockingSession[]> {
  const { rows } = await client.query<{
    pid: number; application_name: string | null; usename: string | null; client_addr: string | null;
    state: string | null; xact_start: Date | null; query_start: Date | null; locks: string[];
  }>(
    `SELECT l.pid, a.application_name, a.usename, host(a.client_addr) AS client_addr, a.state, a.xact_start, a.query_start,
            array_agg(DISTINCT format('%s.%s (%s)', n.nspname, c.relname, l.mode) ORDER BY format('%s.%s (%s)', n.nspname, c.relname, l.mode)) AS locks
       FROM pg_catalog.pg_locks l
       JOIN pg_catalog.pg_class c ON c.oid = l.relation
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'relation' AND l.granted AND c.relkind NOT IN ('i', 'I')
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
        AND l.pid IS DISTINCT FROM pg_backend_pid()
        AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
      GROUP BY l.pid, a.application_name, a.usename, a.client_addr, a.state, a.xact_start, a.query_start
      ORDER BY a.xact_start NULLS LAST, l.pid`,
  );
  return rows.map((r) => ({
    pid: r.pid,
    applicationName: r.application_name,
    user: r.usename,
    clientAddr: r.client_addr,
    state: r.state,
    xactStart: r.xact_start,
    queryStart: r.query_start,
    locks: r.locks,
  }));
}

/** One line per blocking session: pid, application, user, state, transaction and query start, locks. */
export function describeBlocker(s: BlockingSession, viewer?: string): string {
  const hidden = `not visible to ${viewer ?? 'this role'}`;
  const parts = [
    `pid ${s.pid}`,
    `application_name ${JSON.stringify(s.applicationName ?? '')}`,
    `user ${s.user ?? '?'}`,
    s.clientAddr ? `from ${s.clientAddr}` : undefined,
    s.state === null ? `state ${hidden}` : `state "${s.state}"`,
    s.xactStart ? `transaction open since ${s.xactStart.toISOString()}` : undefined,
    s.queryStart ? `query started ${s.queryStart.toISOString()}` : s.state === null ? undefined : 'no query yet',
  ].filter(Boolean);
  const locks = s.locks.length > 4 ? [...s.locks.slice(0, 4), `and ${s.locks.length - 4} more`] : s.locks;
  return `${parts.join(', ')}; holding ${locks.join(', ')}`;
}

/** Whether an error (a psql ToolError's stderr, or a server error) is PostgreSQL's lock timeout. */
export function isLockTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  const text = `${(error as { message?: unknown })?.message ?? ''}\n${(error as { stderr?: unknown })?.stderr ?? ''}`;
  return code === '55P03' || /\b55P03\b|canceling statement due to lock timeout/.test(text);
}

export class ResetBlockedError extends Error {
  constructor(
    readonly lockTimeoutMs: number,
    readonly blockers: BlockingSession[],
    detail: string,
    cause: unknown,
  ) {
    super(detail, { cause });
    this.name = 'ResetBlockedError';
  }
}

/**
 * Turns a reset that failed on the lock timeout into a message naming the sessions it waited for (read
 * right after the failure, on a fresh connection) and what to do; any other error is returned unchanged.
 * The reset ran in one transaction, so the sandbox is as it was.
 */
export async function explainLockTimeout(error: unknown, conn: PgConnection, options: { lockTimeoutMs: number; connectTimeoutMs?: number }): Promise<unknown> {
  if (!isLockTimeout(error)) return error;
  let blockers: BlockingSession[] = [];
  let listing: string;
  try {
    blockers = await withClient(conn, describeBlockers, options.connectTimeoutMs);
    listing = blockers.length
      ? blockers.map((b) => `  - ${describeBlocker(b, conn.user)}`).join('\n')
      : '  (none any more: the blocking transaction ended after the reset gave up; rerunning should succeed)';
  } catch (lookup) {
    listing = `  (could not list them: ${(lookup as Error).message})`;
  }
  const pids = blockers.map((b) => b.pid);
  const message =
    `The reset gave up after waiting ${options.lockTimeoutMs} ms (BDD_LOCK_TIMEOUT_MS) for locks that other sessions hold on the ` +
    `sandbox's tables; it rolled back, so the sandbox is exactly as it was.\nSessions holding locks on what the reset must drop:\n${listing}\n` +
    'Expected: no other session inside a transaction on the sandbox while it is reset (a live Dolibarr request, cron job or open psql). ' +
    'What to do: let those transactions finish (stop the Dolibarr job or close the session), or end them' +
    `${pids.length ? ` with SELECT pg_terminate_backend(pid) FROM unnest(ARRAY[${pids.join(', ')}]) AS pid` : ''} ` +
    '(a role may end its own sessions; others need the database administrator), then rerun; or raise BDD_LOCK_TIMEOUT_MS to wait longer.';
  return new ResetBlockedError(options.lockTimeoutMs, blockers, redact(message), error);
}
