import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, withClient, type PgConnection } from '../db/connect';
import { ArchiveScopeError, assertArchiveInScope } from '../golden/archive-scope';
import { startSeededSandbox, type SeededSandbox } from '../testing/throwaway-sandbox';

/** A loopback port that accepts connections and never says a word (a hung server, a black-holing proxy). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

async function closedPort(): Promise<number> {
  const s = await silentServer();
  await s.close();
  return s.port;
}

const timed = async <T>(work: Promise<T>): Promise<{ error: Error; ms: number }> => {
  const started = performance.now();
  const error = await work.then(() => assert.fail('expected a failure'), (e: Error) => e);
  return { error, ms: performance.now() - started };
};

describe('bad input: credentials and unreachable servers', () => {
  let seeded: SeededSandbox;
  let runtime: PgConnection;
  let dir: string;

  before(async () => {
    seeded = await startSeededSandbox();
    runtime = seeded.sandbox.runtime;
    dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
  });
  after(async () => {
    await seeded?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong password is refused with what was tried and what to check, and neither password is shown', async () => {
    const wrong = 'Wr0ng-passw0rd-for-test';
    const { error } = await timed(connect({ ...runtime, password: wrong }));
    assert.match(
      error.message,
      new RegExp(`^Could not connect to PostgreSQL as ${runtime.user}@127\\.0\\.0\\.1:${runtime.port}/erp-sandbox: password authentication failed for user "${runtime.user}" \\(28P01\\)\\. wrong password for this role: check the credentials\\.$`),
    );
    assert.equal((error as { code?: string }).code, '28P01');
    assert.ok(!error.message.includes(wrong) && !error.message.includes(runtime.password));
    // The client tools say the same, and do not show it either.
    const { error: toolError } = await timed(seeded.sandbox.tools.dump({ ...runtime, password: wrong }, [], join(dir, 'x.dump')));
    assert.match(toolError.message, /^pg_dump failed \(exit code 1\):[\s\S]*password authentication failed for user "erp_sandbox_user"/);
    assert.ok(!toolError.message.includes(wrong));
  });

  test('a closed port is refused at once, saying nothing listens there', async () => {
    const port = await closedPort();
    const { error, ms } = await timed(connect({ ...runtime, port }, 5000));
    assert.ok(ms < 2000, `took ${Math.round(ms)} ms`);
    assert.match(error.message, new RegExp(`as ${runtime.user}@127\\.0\\.0\\.1:${port}/erp-sandbox: .*ECONNREFUSED.*\\(ECONNREFUSED\\)\\. nothing listens there: is the server running, and are host and port right\\?`));
  });

  test('a port that accepts but never answers fails within the connect timeout (bounded, not hung)', async () => {
    const silent = await silentServer();
    try {
      const bound = 500;
      const { error, ms } = await timed(connect({ ...runtime, port: silent.port }, bound));
      assert.ok(ms >= bound * 0.9 && ms < 3 * bound, `gave up after ${Math.round(ms)} ms for a ${bound} ms connect timeout`);
      assert.match(error.message, /timeout.*\(CONNECT_TIMEOUT\)\. the server did not answer within the connect timeout \(BDD_CONNECT_TIMEOUT_MS\)\./i);
      assert.equal((error as { code?: string }).code, 'CONNECT_TIMEOUT');
      assert.ok(!error.message.includes(runtime.password));
      // withClient, used by every harness operation, is bounded the same way.
      const viaWithClient = await timed(withClient({ ...runtime, port: silent.port }, async () => 1, bound));
      assert.ok(viaWithClient.ms < 3 * bound, `withClient took ${Math.round(viaWithClient.ms)} ms`);
    } finally {
      await silent.close();
    }
  });

  test('the client tools are bounded too (libpq connect_timeout, 10 s), not hung', { timeout: 60_000 }, async () => {
    const silent = await silentServer();
    try {
      const { error, ms } = await timed(seeded.sandbox.tools.dump({ ...runtime, port: silent.port }, [], join(dir, 'y.dump')));
      assert.ok(ms < 3 * 10_000, `pg_dump took ${Math.round(ms)} ms against a silent server`);
      assert.match(error.message, /^pg_dump failed \(exit code 1\):[\s\S]*timeout expired/);
      process.stdout.write(`# silent server: pg_dump gave up after ${Math.round(ms)} ms (PGCONNECT_TIMEOUT=10, not BDD_CONNECT_TIMEOUT_MS)\n`);
    } finally {
      await silent.close();
    }
  });
});

describe('bad input: a golden holding objects outside the application scope', () => {
  let seeded: SeededSandbox;
  let dir: string;

  before(async () => {
    seeded = await startSeededSandbox();
    dir = mkdtempSync(join(tmpdir(), 'scope-'));
  });
  after(async () => {
    await seeded?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the seed\'s own golden is in scope', async () => {
    const listing = await seeded.sandbox.tools.list(seeded.golden.path);
    const report = assertArchiveInScope(listing, 'public', 'erp_role', { tablePattern: 'llx\\_%', path: seeded.golden.path });
    assert.deepEqual(report.tables, ['llx_child', 'llx_parent']);
    assert.deepEqual(report.owners, ['erp_role']);
  });

  test('a whole-database dump with a grant, another owner, another schema and an extension is refused, naming each', async () => {
    const { sandbox } = seeded;
    // Production as a careless dump would find it: built with the superuser in this throwaway cluster.
    await withClient(sandbox.superuser('erp'), (c) =>
      c.query(`
        CREATE SCHEMA extra AUTHORIZATION erp_role;
        CREATE TABLE extra.audit (id int);
        GRANT SELECT ON llx_parent TO ${sandbox.roles.prodApp.user};
        CREATE TABLE public.llx_admin_notes (id int);
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        ALTER DEFAULT PRIVILEGES FOR ROLE erp_role GRANT SELECT ON TABLES TO ${sandbox.roles.prodApp.user};`),
    );
    const path = join(dir, 'whole-database.dump');
    await sandbox.tools.dump(sandbox.superuser('erp'), [], path);
    const listing = await sandbox.tools.list(path);

    let error: unknown;
    try {
      assertArchiveInScope(listing, 'public', 'erp_role', { tablePattern: 'llx\\_%', path });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ArchiveScopeError, String(error));
    const m = error.message;
    assert.match(m, new RegExp(`^The golden ${path.replace(/[.]/g, '\\.')} holds objects outside the application scope \\(schema "public", owned by "erp_role", no grants\\):`));
    assert.match(m, /- owned by "postgres" instead of "erp_role" \(\d+ entries: .*TABLE extra\.audit.*\)/);
    assert.match(m, /TABLE public\.llx_admin_notes/);
    assert.match(m, /- grants \(ACL entries\), which the reset must not replay: .*ACL on TABLE public\.llx_parent.*DEFAULT ACL/);
    assert.match(m, /- objects outside schema "public", in "extra", "pooler": .*SCHEMA extra.*SCHEMA pooler.*FUNCTION pooler\.user_lookup/);
    assert.match(m, /- database-level objects: EXTENSION pg_trgm/);
    assert.match(m, /- tables of schema "public" that do not match the application's pattern llx\\_%: TABLE public\.not_the_app/);
    assert.match(m, /Take the golden again with the harness's seed/);
    process.stdout.write(`# out-of-scope golden refused:\n${m.split('\n').map((l) => `#   ${l}`).join('\n')}\n`);

    // Without an expected owner, more than one owner is itself the finding.
    assert.throws(() => assertArchiveInScope(listing, 'public'), /owned by "postgres" instead of "erp_role"/);
  });

  test('each kind of stray entry is caught on its own (table of contents lines as pg_restore --list prints them)', () => {
    const head = ';\n; Archive created at 2025-01-01\n;\n';
    const ok = `${head}218; 1259 16399 TABLE public llx_parent erp_role\n3393; 0 16399 TABLE DATA public llx_parent erp_role\n`;
    assert.equal(assertArchiveInScope(ok, 'public', 'erp_role').tables[0], 'llx_parent');
    const cases: [string, RegExp][] = [
      ['3439; 0 0 ACL public TABLE llx_parent erp_role', /grants \(ACL entries\)/],
      ['2105; 826 16516 DEFAULT ACL - DEFAULT PRIVILEGES FOR TABLES erp_role', /grants \(ACL entries\)/],
      ['223; 1259 16432 TABLE public llx_admin_notes postgres', /owned by "postgres" instead of "erp_role"/],
      ['7; 2615 16393 SCHEMA - pooler postgres', /outside schema "public", in "pooler"/],
      ['222; 1259 16429 TABLE extra audit erp_role', /outside schema "public", in "extra": TABLE extra\.audit/],
      ['2; 3079 16435 EXTENSION - pg_trgm ', /database-level objects: EXTENSION pg_trgm/],
    ];
    for (const [line, expected] of cases) assert.throws(() => assertArchiveInScope(`${ok}${line}\n`, 'public', 'erp_role'), expected, line);
  });
});
