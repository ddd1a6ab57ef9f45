import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { connect, withClient, type PgConnection } from '../db/connect';

/**
 * One run at a time per sandbox: a session-level advisory lock, taken on a connection of its own that the
 * run keeps open until it ends. The server releases it when that session ends, so a crashed or killed run
 * frees the sandbox without anybody's help. The holder writes who it is into its session's
 * application_name, which every role can read from pg_stat_activity.
 */

/** Advisory lock namespace (first key) of the harness; the second key is hashtext('erp-sandbox-bdd:' || current_database()). */
export const RUN_LOCK_NAMESPACE = 0x0bdd5a1d;
const LOCK_KEY = `hashtext('erp-sandbox-bdd:' || current_database())`;
/** The lock's row in pg_locks (two-int4 advisory keys show as classid, objid and objsubid 2). */
const LOCK_ROW = `l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid = ${RUN_LOCK_NAMESPACE}::oid
  AND l.objid = (${LOCK_KEY}::bigint & 4294967295)::oid
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`;

const APP_NAME_PREFIX = 'erp-sandbox-bdd';
/** application_name holds at most 63 bytes (NAMEDATALEN - 1), ASCII only. */
const APP_NAME_MAX = 63;

/** Who holds (or asks for) the lock: written into the lock session's application_name. */
export interface HolderInfo {
  host: string;
  pid: number;
  since: Date;
}

/** A session holding the run lock, as another run sees it. */
export interface LockHolder {
  /** Server process id of the holding session. */
  backendPid: number;
  applicationName: string | null;
  /** Parsed from application_name when the holder is a harness run. */
  run?: HolderInfo;
  user: string | null;
  clientAddr: string | null;
  /** Null when this role may not see the session's details (another role, without pg_read_all_stats). */
  backendStart: Date | null;
  state: string | null;
}

export interface SandboxLockOptions {
  /** How long to wait for a run holding the lock; 0 (the default) fails at once, naming the holder. */
  waitMs?: number;
  /** Interval between attempts while waiting. Default 250 ms. */
  pollMs?: number;
  /** Defaults: this host, this process, now. */
  holderInfo?: Partial<HolderInfo>;
  connectTimeoutMs?: number;
  /**
   * Runs first on the lock connection, before any other statement: the host-guard (assertIsSandbox), so
   * that the lock, like everything else, is only ever taken on a target proven to be the sandbox.
   */
  guard?: (client: Client) => Promise<void>;
  /** Called once when the lock is busy and the run is going to wait for it. */
  onWait?: (holders: LockHolder[]) => void;
}

export interface SandboxLock {
  /** The dedicated connection holding the lock: never use it for anything else. */
  readonly client: Client;
  /** Server process id of the lock session. */
  readonly backendPid: number;
  /** The application_name other runs see. */
  readonly applicationName: string;
  /** Set once the lock connection has failed: the lock is then no longer held. */
  lost(): Error | undefined;
  /** Throws unless the lock is still held by this run's session (call it before each reset). */
  assertHeld(): Promise<void>;
  /** Releases the lock and closes its connection. Idempotent. */
  release(): Promise<void>;
}

export class SandboxLockedError extends Error {
  constructor(
    readonly database: string,
    readonly holders: LockHolder[],
    readonly waitedMs: number,
  ) {
    super(
      `The sandbox database "${database}" is in use by another run of the harness${waitedMs > 0 ? `, still after waiting ${waitedMs} ms` : ''}: ` +
        `${holders.length ? holders.map(describeHolder).join('; ') : 'the holder is not visible to this role'}.\n` +
        'Only one run at a time may use a sandbox (a reset would wipe the other run\'s data). Wait for that run to finish, ' +
        'or set BDD_RUN_LOCK_WAIT_MS to wait up to that long for it. A run that crashed or was killed frees the sandbox ' +
        'by itself when its connection ends; a run that hangs can be ended with SELECT pg_terminate_backend(<server pid>) as the runtime role.',
    );
    this.name = 'SandboxLockedError';
  }
}

export class RunLockNotHeldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunLockNotHeldError';
  }
}

/** Renders the holder for messages: the run (process, host, start) and its server session. */
export function describeHolder(holder: LockHolder): string {
  const run = holder.run
    ? `process ${holder.run.pid} on host ${holder.run.host}, running since ${holder.run.since.toISOString()}`
    : `a session named ${JSON.stringify(holder.applicationName ?? '')}`;
  const session = [
    `server pid ${holder.backendPid}`,
    holder.user ? `user ${holder.user}` : undefined,
    holder.clientAddr ? `from ${holder.clientAddr}` : undefined,
    holder.backendStart ? `connected ${holder.backendStart.toISOString()}` : undefined,
    holder.state ? `state ${holder.state}` : undefined,
  ].filter(Boolean);
  return `${run} (${session.join(', ')})`;
}

const compactTime = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** `erp-sandbox-bdd <pid>@<host> <yyyymmddThhmmssZ>`, host shortened (~) to fit 63 ASCII bytes. */
export function holderApplicationName(info: HolderInfo): string {
  const since = compactTime(info.since);
  const fixed = `${APP_NAME_PREFIX} ${info.pid}@ ${since}`.length;
  let host = info.host.replace(/[^\x21-\x7e]/g, '?').replace(/@/g, '?');
  const room = Math.max(1, APP_NAME_MAX - fixed);
  if (host.length > room) host = `${host.slice(0, room - 1)}~`;
  return `${APP_NAME_PREFIX} ${info.pid}@${host} ${since}`;
}

/** The inverse of holderApplicationName; undefined for any other application name. */
export function parseHolderApplicationName(name: string | null): HolderInfo | undefined {
  const match = /^erp-sandbox-bdd (\d+)@(\S+) (\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name ?? '');
  if (!match) return undefined;
  const [, pid, host, y, mo, d, h, mi, s] = match;
  return { pid: Number(pid), host, since: new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`) };
}

/** Sessions holding the run lock on the connected database. */
export async function readLockHolders(client: Client): Promise<LockHolder[]> {
  const { rows } = await client.query<{
    pid: number; application_name: string | null; usename: string | null; client_addr: string | null; backend_start: Date | null; state: string | null;
  }>(
    `SELECT l.pid, a.application_name, a.usename, host(a.client_addr) AS client_addr, a.backend_start, a.state
       FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.granted AND ${LOCK_ROW}
      ORDER BY l.pid`,
  );
  return rows.map((r) => ({
    backendPid: r.pid,
    applicationName: r.application_name,
    run: parseHolderApplicationName(r.application_name),
    user: r.usename,
    clientAddr: r.client_addr,
    backendStart: r.backend_start,
    state: r.state,
  }));
}

/**
 * Takes the sandbox's run lock for the whole run, on a connection of its own. Fails at once, naming the
 * holder, when another run holds it (or waits up to `waitMs`), and refuses a connection on which a
 * session-level lock cannot hold (a transaction-mode pooler).
 */
export async function acquireSandboxLock(conn: PgConnection, options: SandboxLockOptions = {}): Promise<SandboxLock> {
  const waitMs = Math.max(0, options.waitMs ?? 0);
  const pollMs = Math.max(10, options.pollMs ?? 250);
  const info: HolderInfo = { host: hostname(), pid: process.pid, since: new Date(), ...options.holderInfo };
  const applicationName = holderApplicationName(info);
  const client = await connect(conn, options.connectTimeoutMs);
  let lostError: Error | undefined;
  let released = false;
  const markLost = (error?: Error) => {
    if (released) return;
    lostError ??= new RunLockNotHeldError(
      `The connection holding the sandbox's run lock was closed${error ? ` (${error.message})` : ''}: the lock is no longer held, ` +
        'so another run could start on this sandbox. Stopping here; rerun when the database is reachable again.',
    );
  };
  client.on('error', markLost);
  client.on('end', () => markLost());
  const close = async () => {
    released = true;
    await client.end().catch(() => undefined);
  };
  try {
    await options.guard?.(client);
    // The session must outlive idle periods of the run: no server-side idle timeouts on it.
    await client.query(
      `SELECT set_config('application_name', $1, false),
              set_config('idle_in_transaction_session_timeout', '0', false),
              set_config('statement_timeout', '0', false),
              (SELECT set_config(name, '0', false) FROM pg_catalog.pg_settings WHERE name = 'idle_session_timeout')`,
      [applicationName],
    );
    const started = performance.now();
    let backendPid: number;
    let announced = false;
    let vanished = 0;
    for (;;) {
      const { rows: [attempt] } = await client.query<{ got: boolean; pid: number; db: string }>(
        `SELECT pg_try_advisory_lock(${RUN_LOCK_NAMESPACE}, ${LOCK_KEY}) AS got, pg_backend_pid() AS pid, current_database() AS db`,
      );
      if (attempt.got) {
        backendPid = attempt.pid;
        break;
      }
      const holders = await readLockHolders(client);
      const waited = Math.round(performance.now() - started);
      // Released between the two statements: try again at once (a few times, never in a busy loop).
      if (holders.length === 0 && ++vanished < 3) continue;
      if (waited >= waitMs) throw new SandboxLockedError(attempt.db, holders, waited);
      if (!announced) options.onWait?.(holders);
      announced = true;
      await sleep(Math.min(pollMs, Math.max(1, waitMs - waited)));
    }
    try {
      await assertSessionLockHolds(conn, client, backendPid, options.connectTimeoutMs);
    } catch (error) {
      if (error instanceof SessionPoolingError) await freeLockBehindPooler(conn, client, backendPid, error, options.connectTimeoutMs);
      throw error;
    }
    const lock: SandboxLock = {
      client,
      backendPid,
      applicationName,
      lost: () => lostError,
      async assertHeld() {
        if (lostError) throw lostError;
        if (released) throw new RunLockNotHeldError('The run lock was released; this run no longer owns the sandbox.');
        let held: { pid: number; held: boolean } | undefined;
        try {
          ({ rows: [held] } = await client.query<{ pid: number; held: boolean }>(
            `SELECT pg_backend_pid() AS pid, EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.granted AND l.pid = pg_backend_pid() AND ${LOCK_ROW}) AS held`,
          ));
        } catch (error) {
          markLost(error as Error);
          throw lostError;
        }
        if (held.pid !== backendPid || !held.held) {
          throw new RunLockNotHeldError(
            `The run lock is no longer held by this run's session (server pid ${backendPid}; the connection now reaches pid ${held.pid}, ` +
              `lock ${held.held ? 'held' : 'not held'}). Stopping: another run could be using the sandbox.`,
          );
        }
      },
      async release() {
        if (released) return;
        released = true;
        if (!lostError) await client.query(`SELECT pg_advisory_unlock(${RUN_LOCK_NAMESPACE}, ${LOCK_KEY})`).catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
    return lock;
  } catch (error) {
    await close();
    throw error;
  }
}

export class SessionPoolingError extends Error {
  constructor(conn: PgConnection, readonly findings: string[]) {
    // findings may grow after construction (cleanup notes); the message is then rewritten from them.
    super(
      `The sandbox's run lock cannot hold on connections to ${conn.host}:${conn.port}: ${findings.join('; ')}.\n` +
        'This is what a transaction-mode (or statement-mode) connection pooler such as PgBouncer with pool_mode=transaction does: ' +
        'consecutive statements of one client run on different server sessions, and other clients are given the session holding the lock, ' +
        'so a session-level lock would protect nothing. Connect the harness directly to PostgreSQL (BDD_PGHOST and BDD_PGPORT of the server ' +
        'or its direct service, not the pooler\'s), or through a pooler in session mode.',
    );
    this.name = 'SessionPoolingError';
  }
}

/**
 * Proves that the session-level lock holds on this kind of connection: the lock session keeps its server
 * process from one statement to the next and sees its lock there, and an independent connection (kept in
 * a transaction while the lock session is asked again, so a pooler must give them different server
 * sessions) lands on another server process and cannot take the lock.
 */
export async function assertSessionLockHolds(conn: PgConnection, lockClient: Client, lockPid: number, connectTimeoutMs?: number): Promise<void> {
  const findings: string[] = [];
  const ownView = async (when: string) => {
    const { rows: [own] } = await lockClient.query<{ pid: number; held: boolean }>(
      `SELECT pg_backend_pid() AS pid, EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.granted AND l.pid = pg_backend_pid() AND ${LOCK_ROW}) AS held`,
    );
    if (own.pid !== lockPid) findings.push(`the lock connection moved from server pid ${lockPid} to ${own.pid} ${when}`);
    else if (!own.held) findings.push(`server pid ${lockPid} does not show the lock it took ${when}`);
  };
  await ownView('between two statements');
  const probe = await connect(conn, connectTimeoutMs);
  try {
    await probe.query('BEGIN');
    const { rows: [seen] } = await probe.query<{ pid: number; got: boolean }>(
      `SELECT pg_backend_pid() AS pid, pg_try_advisory_lock(${RUN_LOCK_NAMESPACE}, ${LOCK_KEY}) AS got`,
    );
    if (seen.got) {
      await probe.query(`SELECT pg_advisory_unlock(${RUN_LOCK_NAMESPACE}, ${LOCK_KEY})`);
      findings.push(
        seen.pid === lockPid
          ? `a second connection was given the very server session (pid ${lockPid}) that holds the lock, and could take it again`
          : `a second connection (server pid ${seen.pid}) could take the lock held by server pid ${lockPid}`,
      );
    } else if (seen.pid === lockPid) {
      findings.push(`a second connection was given the server session (pid ${lockPid}) that holds the lock`);
    }
    // While the probe keeps its server session busy, the lock session must still be on its own. Bounded:
    // a pooler with a single server connection would queue the statement until the probe ends.
    if (!findings.length) {
      const bound = Math.max(1000, connectTimeoutMs ?? 10_000);
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), bound)));
      const outcome = await Promise.race([ownView('while another connection was in a transaction'), stalled]).finally(() => clearTimeout(timer));
      if (outcome === 'stalled') findings.push(`the lock connection could not run a statement within ${bound} ms while another connection was in a transaction`);
    }
    await probe.query('ROLLBACK');
  } finally {
    await probe.end().catch(() => undefined);
  }
  if (findings.length) throw new SessionPoolingError(conn, findings);
}

/**
 * Behind a transaction-mode pooler the lock stays on a pooled server session after our client goes: unlock
 * it, and if the server session still holds it, end that session (the runtime role may end its own role's
 * sessions), so the refusal leaves nothing locked.
 */
async function freeLockBehindPooler(conn: PgConnection, lockClient: Client, lockPid: number, error: SessionPoolingError, connectTimeoutMs?: number): Promise<void> {
  await lockClient.query(`SELECT pg_advisory_unlock(${RUN_LOCK_NAMESPACE}, ${LOCK_KEY})`).catch(() => undefined);
  try {
    const ended = await withClient(conn, async (c) => {
      const { rows } = await c.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(l.pid) AS ended FROM pg_catalog.pg_locks l WHERE l.granted AND l.pid = $1 AND l.pid <> pg_backend_pid() AND ${LOCK_ROW}`,
        [lockPid],
      );
      return rows.some((r) => r.ended);
    }, connectTimeoutMs);
    if (ended) error.findings.push(`the pooled server session (pid ${lockPid}) left holding the lock was ended, so nothing stays locked`);
  } catch (cleanup) {
    error.findings.push(`the lock may still be held by pooled server session ${lockPid} (${(cleanup as Error).message}); end it with SELECT pg_terminate_backend(${lockPid})`);
  }
  error.message = error.message.replace(/^(The sandbox's run lock cannot hold on connections to \S+: )[^\n]*/, `$1${error.findings.join('; ')}.`);
}
