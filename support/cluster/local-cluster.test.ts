import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirePgBinaries } from '../pgtools/binaries';
import { withClient } from '../db/connect';
import { startLocalCluster, sweepStaleClusters } from './local-cluster';

const bin = requirePgBinaries(undefined, true);

/** Gone, or a zombie waiting for a parent that does not reap (stopped either way). */
function isRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  return existsSync(stat) && readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
}

test('a cluster accepts only password authentication and is removed when stopped', async () => {
  const cluster = await startLocalCluster(bin);
  try {
    const conn = { host: cluster.host, port: cluster.port, database: 'postgres', ...cluster.superuser };
    const method = await withClient(conn, async (c) => (await c.query<{ m: string }>(`SELECT string_agg(DISTINCT auth_method, ',') AS m FROM pg_hba_file_rules`)).rows[0].m);
    assert.equal(method, 'scram-sha-256');
    await assert.rejects(withClient({ ...conn, password: 'wrong-password' }, async () => undefined), /wrong password for this role/);
  } finally {
    await cluster.stop();
  }
  assert.equal(existsSync(cluster.dir), false);
});

test('a cluster left by a SIGKILLed run is found and removed by the next start', async () => {
  const child = spawn(process.execPath, ['--require', 'ts-node/register/transpile-only', '-e',
    `require('./support/cluster/local-cluster').startLocalCluster(require('./support/pgtools/binaries').requirePgBinaries(undefined, true))
       .then((c) => { console.log(c.dir); setInterval(() => {}, 1000); })`], { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  const postmasterPid = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(existsSync(dir), true, 'a SIGKILL leaves the cluster behind');

  const removed = sweepStaleClusters(bin);
  assert.ok(removed.some((line) => line.includes(dir)), `sweep reported: ${removed.join('; ')}`);
  assert.equal(existsSync(dir), false);
  assert.equal(isRunning(postmasterPid), false, 'the left-behind server is stopped');
});

test('without binaries the local backend fails at once, naming the ways out', () => {
  assert.throws(() => requirePgBinaries('/nonexistent/pg/bin', true), (error: Error) => {
    assert.match(error.message, /No PostgreSQL server binaries .* found in BDD_PG_BIN=\/nonexistent\/pg\/bin/);
    assert.match(error.message, /apt-get install postgresql-15/);
    assert.match(error.message, /BDD_BACKEND=container/);
    assert.match(error.message, /BDD_BACKEND=live/);
    return true;
  });
});
