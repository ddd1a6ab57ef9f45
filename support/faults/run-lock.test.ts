import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { connect, withClient, type PgConnection } from '../db/connect';
import { assertIsSandbox } from '../guard/sandbox-guard';
import {
  acquireSandboxLock,
  holderApplicationName,
  parseHolderApplicationName,
  readLockHolders,
  RunLockNotHeldError,
  SandboxLockedError,
  SessionPoolingError,
  type LockHolder,
} from '../lock/run-lock';
import { startThrowawaySandbox, type ThrowawaySandbox } from '../testing/throwaway-sandbox';
import { spawnTsChild, type ChildRun } from './process-group';
import { findPgBouncer, startPgBouncer } from './pgbouncer';

const HOLD_LOCK = join(__dirname, 'children', 'hold-lock.ts');

describe('run lock: the holder written where another run reads it', () => {
  test('application_name round-trips host, pid and start, and fits in 63 ASCII bytes', () => {
    const since = new Date('2025-06-01T12:34:56.789Z');
    const name = holderApplicationName({ host: 'ci-runner-7', pid: 4711, since });
    assert.equal(name, 'erp-sandbox-bdd 4711@ci-runner-7 20250601T123456Z');
    assert.deepEqual(parseHolderApplicationName(name), { host: 'ci-runner-7', pid: 4711, since: new Date('2025-06-01T12:34:56Z') });
    const long = holderApplicationName({ host: 'runner-very-long-hostname-of-a-kubernetes-pod-abcdef-12345', pid: 4194304, since });
    assert.ok(Buffer.byteLength(long) <= 63, long);
    assert.match(long, /^erp-sandbox-bdd 4194304@runner-very-long-ho\S*~ 20250601T123456Z$/);
    assert.equal(parseHolderApplicationName(long)?.pid, 4194304);
    assert.match(holderApplicationName({ host: 'hôte@x', pid: 1, since }), /^erp-sandbox-bdd 1@h\?te\?x /);
    assert.equal(parseHolderApplicationName('erp-sandbox-bdd'), undefined);
    assert.equal(parseHolderApplicationName(null), undefined);
  });
});

describe('run lock on a real PostgreSQL', () => {
  let sandbox: ThrowawaySandbox;
  let runtime: PgConnection;
  const children: ChildRun[] = [];

  before(async () => {
    sandbox = await startThrowawaySandbox();
    runtime = sandbox.runtime;
  });
  after(async () => {
    for (const c of children) await c.killGroup().catch(() => undefined);
    await sandbox?.stop();
  });

  /** Another run, in a process of its own, holding the lock. */
  async function otherRun(env: Record<string, string> = {}): Promise<{ run: ChildRun; pid: number; backendPid: number }> {
    const run = spawnTsChild(HOLD_LOCK, { FAULT_CONN: JSON.stringify(runtime), ...env });
    children.push(run);
    const line = await run.line(/^(locked|failed) /);
    assert.match(line, /^locked /, line);
    const { pid, backendPid } = JSON.parse(line.slice('locked '.length)) as { pid: number; backendPid: number };
    return { run, pid, backendPid };
  }

  test('a second run fails fast, naming the holder: host, process, start time and server session', async () => {
    const other = await otherRun();
    const started = performance.now();
    const error = await acquireSandboxLock(runtime, { waitMs: 0 }).then(() => assert.fail('the second run got the lock'), (e: Error) => e);
    const elapsed = performance.now() - started;
    assert.ok(error instanceof SandboxLockedError, String(error));
    assert.ok(elapsed < 2000, `took ${elapsed} ms to refuse`);
    assert.equal(error.holders.length, 1);
    assert.equal(error.holders[0].run?.pid, other.pid);
    assert.equal(error.holders[0].backendPid, other.backendPid);
    assert.match(error.message, new RegExp(`in use by another run[\\s\\S]*process ${other.pid} on host ${hostname().slice(0, 10)}\\S*, running since \\d{4}-\\d\\d-\\d\\dT`));
    assert.match(error.message, new RegExp(`server pid ${other.backendPid}, user ${runtime.user}`));
    assert.match(error.message, /Wait for that run to finish, or set BDD_RUN_LOCK_WAIT_MS/);
    assert.doesNotMatch(error.message, new RegExp(runtime.password));
    await other.run.killGroup();
  });

  test('a second run waits up to its bound, then fails naming the holder', async () => {
    const other = await otherRun();
    const started = performance.now();
    const error = await acquireSandboxLock(runtime, { waitMs: 600, pollMs: 100 }).then(() => assert.fail('got the lock'), (e: Error) => e);
    const elapsed = performance.now() - started;
    assert.ok(error instanceof SandboxLockedError, String(error));
    assert.ok(elapsed >= 550 && elapsed < 3 * 600, `gave up after ${elapsed} ms for a 600 ms bound`);
    assert.match(error.message, new RegExp(`still after waiting \\d+ ms: process ${other.pid} `));
    await other.run.killGroup();
  });

  test('a waiting run gets the lock as soon as the holder releases it', async () => {
    const other = await otherRun({ HOLD_MS: '1200' });
    const waitedFor: LockHolder[][] = [];
    const started = performance.now();
    const lock = await acquireSandboxLock(runtime, { waitMs: 15_000, pollMs: 100, onWait: (h) => waitedFor.push(h) });
    const elapsed = performance.now() - started;
    try {
      assert.equal(waitedFor.length, 1, 'told once that it waits');
      assert.equal(waitedFor[0][0].run?.pid, other.pid);
      assert.ok(elapsed < 10_000, `waited ${elapsed} ms`);
      await lock.assertHeld();
      await other.run.line(/^released$/);
    } finally {
      await lock.release();
    }
  });

  test('a run killed with SIGKILL frees the sandbox by itself: the server ends its session and its lock', async () => {
    const other = await otherRun();
    await assert.rejects(acquireSandboxLock(runtime), SandboxLockedError);
    await other.run.killGroup();
    const started = performance.now();
    const lock = await acquireSandboxLock(runtime, { waitMs: 10_000, pollMs: 50 });
    const elapsed = performance.now() - started;
    try {
      assert.ok(elapsed < 5000, `the lock of the killed run was released after ${elapsed} ms`);
      const holders = await withClient(runtime, async (c) => (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1`, [other.backendPid])).rows[0].n);
      assert.equal(holders, 0, 'the killed run\'s session is gone');
    } finally {
      await lock.release();
    }
  });

  test('the holder\'s name is readable by another role too (pg_stat_activity hides only the details)', async () => {
    const lock = await acquireSandboxLock(runtime);
    try {
      // The read-only dump role is not the runtime role: it sees application_name but not backend_start.
      const other = await connect({ ...runtime, ...sandbox.roles.dump });
      try {
        const [holder] = await readLockHolders(other);
        assert.equal(holder.run?.pid, process.pid);
        assert.equal(holder.backendStart, null, 'details of another role\'s session are hidden');
      } finally {
        await other.end();
      }
    } finally {
      await lock.release();
    }
  });

  test('a lock whose connection is dropped is reported lost, and the next run can start', async () => {
    const lock = await acquireSandboxLock(runtime);
    try {
      await lock.assertHeld();
      // The runtime role may end its own role's sessions.
      await withClient(runtime, (c) => c.query('SELECT pg_terminate_backend($1)', [lock.backendPid]));
      await assert.rejects(lock.assertHeld(), (e: Error) => e instanceof RunLockNotHeldError && /run lock was closed[\s\S]*no longer held/.test(e.message));
      assert.ok(lock.lost());
    } finally {
      await lock.release();
    }
    const next = await acquireSandboxLock(runtime, { waitMs: 5000 });
    await next.release();
  });

  test('release frees the lock at once, and is idempotent', async () => {
    const first = await acquireSandboxLock(runtime);
    await first.release();
    await first.release();
    await assert.rejects(first.assertHeld(), RunLockNotHeldError);
    const second = await acquireSandboxLock(runtime);
    await second.release();
  });

  test('the host-guard runs first on the lock connection: a target that is not the sandbox is refused before the lock is taken', async () => {
    const identity = { sandboxDatabase: 'erp-sandbox', sandboxOwner: 'erp_sandbox_role', prodOwner: 'erp_role' };
    await assert.rejects(
      acquireSandboxLock(runtime, { guard: (c) => assertIsSandbox(c, { ...identity, sandboxDatabase: 'erp' }) }),
      /not provably the sandbox[\s\S]*database is "erp-sandbox", expected "erp"/,
    );
    const holders = await withClient(runtime, (c) => readLockHolders(c));
    assert.deepEqual(holders, [], 'no lock was taken');
    const lock = await acquireSandboxLock(runtime, { guard: (c) => assertIsSandbox(c, identity) });
    await lock.release();
  });

  const bouncer = findPgBouncer();
  const skipBouncer = bouncer ? false : 'PgBouncer is not installed here (apt-get install pgbouncer): the pooler checks need one';

  test('through a transaction-mode pooler the lock is refused, saying how to connect', { skip: skipBouncer }, async () => {
    const pool = await startPgBouncer({ server: { host: runtime.host, port: runtime.port }, users: [runtime], poolMode: 'transaction' });
    try {
      const viaPool = { ...runtime, host: pool.host, port: pool.port };
      const error = await acquireSandboxLock(viaPool).then(async (l) => { await l.release(); assert.fail('the lock was taken through a transaction-mode pooler'); }, (e: Error) => e);
      assert.ok(error instanceof SessionPoolingError, String(error));
      assert.match(error.message, /transaction-mode[\s\S]*Connect the harness directly to PostgreSQL[\s\S]*session mode/);
      process.stdout.write(`# refused through PgBouncer (pool_mode=transaction): ${error.message.split('\n')[0]}\n`);
      // Nothing is left locked behind the pooler.
      const direct = await acquireSandboxLock(runtime);
      await direct.release();
    } finally {
      await pool.stop();
    }
  });

  test('through a session-mode pooler the lock holds, and a second run is refused', { skip: skipBouncer }, async () => {
    const pool = await startPgBouncer({ server: { host: runtime.host, port: runtime.port }, users: [runtime], poolMode: 'session' });
    try {
      const viaPool = { ...runtime, host: pool.host, port: pool.port };
      const lock = await acquireSandboxLock(viaPool);
      try {
        await assert.rejects(acquireSandboxLock(viaPool), SandboxLockedError);
        await assert.rejects(acquireSandboxLock(runtime), SandboxLockedError);
      } finally {
        await lock.release();
      }
    } finally {
      await pool.stop();
    }
  });
});
