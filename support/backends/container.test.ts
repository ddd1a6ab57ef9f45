import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config';
import { withClient } from '../db/connect';
import { truncated } from '../golden/doctored';
import { compareFingerprints, fingerprintDatabase } from '../golden/fingerprint';
import type { Golden } from '../golden/golden';
import { fingerprintsOf } from '../golden/manifest';
import type { AppScope } from '../golden/scope';
import { seedGolden } from '../golden/seed';
import { canonicalReset, type ResetTarget } from '../reset/canonical-reset';
import { postResetSql } from '../reset/post-reset';
import type { StartedBackend } from './backend';
import { startContainerBackend, StreamServerLog, sweepStaleContainers } from './container';
import { DEFAULT_CONTAINER_IMAGE, loadTestcontainers, probeContainerRuntime } from './container-runtime';

const IMAGE = process.env.BDD_CONTAINER_IMAGE || DEFAULT_CONTAINER_IMAGE;
const OWNER_LABEL = 'erp-sandbox-bdd.owner-pid';

describe('StreamServerLog', () => {
  const line = (at: string, user: string) => `${at} UTC [42] ${user}@erp-sandbox LOG:  connection authorized: user=${user} database=erp-sandbox application_name=x\n`;

  test('counts connections by the time the server logged them, not by when the stream delivered them', () => {
    const log = new StreamServerLog();
    const mark = Date.parse('2026-11-26T10:00:00.500Z');
    // Logged before the mark but delivered after it: not a connection since the mark.
    log.feed(line('2026-11-26 10:00:00.499', 'early'));
    log.feed(line('2026-11-26 10:00:00.500', 'same_ms').slice(0, 30));
    log.feed(line('2026-11-26 10:00:00.500', 'same_ms').slice(30));
    log.feed(line('2026-11-26 10:00:01.000', 'late'));
    assert.deepEqual(log.connectionsSince(mark).map((c) => c.user), ['same_ms', 'late']);
  });

  test('keeps the last lines to explain a failed start', () => {
    const log = new StreamServerLog();
    for (let i = 0; i < 300; i++) log.feed(`line ${i}\n`);
    log.feed('FATAL:  could not bind');
    assert.match(log.tail(2), /^line 299\nFATAL: {2}could not bind$/);
  });
});

describe('container backend', () => {
  let reason: string | undefined;
  let backend: StartedBackend | undefined;
  let golden: Golden;
  let target: ResetTarget;
  let dir: string;
  const config = loadConfig({});
  const scope: AppScope = { schema: config.appSchema, tablePattern: config.appTablePattern };

  before(async () => {
    const probe = await probeContainerRuntime(IMAGE);
    if (!probe.usable) {
      reason = probe.reason;
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'container-backend-test-'));
    let started = performance.now();
    backend = await startContainerBackend(config, { image: IMAGE, allowPull: false });
    const startMs = performance.now() - started;
    started = performance.now();
    golden = await seedGolden(backend.tools, backend.prodDump!, scope, join(dir, 'erp.golden.dump'));
    const seedMs = performance.now() - started;
    target = {
      tools: backend.tools,
      runtime: backend.runtime,
      identity: { sandboxDatabase: config.sandboxDatabase, sandboxOwner: config.sandboxOwner, prodOwner: config.prodOwner },
      golden,
      postReset: postResetSql({ appSchema: scope.schema, appRole: backend.appRole }),
      lockTimeoutMs: 5000,
    };
    process.stderr.write(`# container backend: ${backend.description}\n# backend start (container, provisioning, fixture) ${Math.round(startMs)} ms; seed through the container tools ${Math.round(seedMs)} ms\n`);
  });
  after(async () => {
    await backend?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Skips with the probe's reason when no runtime or image is here: never a silent pass. */
  const usable = (t: TestContext): StartedBackend | undefined => {
    if (!backend) t.skip(reason ?? 'the container backend did not start');
    return backend;
  };
  const sandboxState = (b: StartedBackend) => withClient(b.runtime, (c) => fingerprintDatabase(c, scope));

  test('the runtime role reaches the sandbox and not production', async (t) => {
    const b = usable(t);
    if (!b) return;
    assert.equal(b.name, 'container');
    assert.match(b.description, new RegExp(`PostgreSQL 15\\.\\d+ container [0-9a-f]{12} from image ${IMAGE.replace(/[/.]/g, '\\$&')} at 127\\.0\\.0\\.1:\\d+`));
    const who = await withClient(b.runtime, async (c) => (await c.query<{ u: string; d: string }>('SELECT current_user AS u, current_database() AS d')).rows[0]);
    assert.deepEqual(who, { u: b.runtime.user, d: config.sandboxDatabase });
    await assert.rejects(withClient({ ...b.runtime, database: config.prodDatabase }, (c) => c.query('SELECT 1')), /permission denied for database|42501/);
  });

  test('a reset through the container tools matches the golden\'s manifest, connecting only as the runtime role', async (t) => {
    const b = usable(t);
    if (!b) return;
    await withClient(b.runtime, (c) => c.query(`SET ROLE ${config.sandboxOwner}; CREATE TABLE llx_agent_scratch (id int)`));
    const mark = b.serverLog!.mark();
    const { ms } = await canonicalReset(target);
    const again = await canonicalReset(target);
    t.diagnostic(`reset through the container tools: ${Math.round(ms)} ms (first, archive copied in), ${Math.round(again.ms)} ms (archive cached)`);
    process.stderr.write(`# reset through the container tools: ${Math.round(ms)} ms first (archive copied in), ${Math.round(again.ms)} ms with the archive cached\n`);
    assert.deepEqual(compareFingerprints(fingerprintsOf(golden.manifest!), await sandboxState(b)), []);
    const connections = b.serverLog!.connectionsSince(mark);
    assert.ok(connections.length > 0, 'the server logged the reset\'s connections');
    assert.deepEqual(connections.filter((c) => c.user !== b.runtime.user), []);
  });

  test('a truncated archive is restored without COMMIT: the sandbox stays exactly as it was', async (t) => {
    const b = usable(t);
    if (!b) return;
    await canonicalReset(target);
    await withClient(b.runtime, (c) => c.query(`SET ROLE ${config.sandboxOwner}; CREATE TABLE llx_agent_notes (note text); INSERT INTO llx_agent_notes VALUES ('kept')`));
    const beforeState = await sandboxState(b);
    const bad = truncated(golden);
    try {
      await assert.rejects(
        b.tools.restoreInOneTransaction(b.runtime, bad.path, {
          before: `DROP OWNED BY CURRENT_USER, ${config.sandboxOwner} CASCADE;`,
          after: postResetSql({ appSchema: scope.schema, appRole: b.appRole }),
          restoreArgs: ['--no-owner', '--no-privileges', `--role=${config.sandboxOwner}`, '--exit-on-error'],
        }),
        (error: Error) => {
          assert.equal(error.name, 'ToolError');
          assert.match(error.message, /^pg_restore failed[\s\S]*COMMIT was not sent/);
          return true;
        },
      );
    } finally {
      bad.cleanup();
    }
    assert.deepEqual(compareFingerprints(beforeState, await sandboxState(b)), []);
  });

  test('a failing statement after the archive rolls everything back and names psql', async (t) => {
    const b = usable(t);
    if (!b) return;
    await canonicalReset(target);
    await withClient(b.runtime, (c) => c.query(`SET ROLE ${config.sandboxOwner}; CREATE TABLE llx_agent_notes (note text)`));
    const beforeState = await sandboxState(b);
    await assert.rejects(
      b.tools.restoreInOneTransaction(b.runtime, golden.path, { before: `DROP OWNED BY CURRENT_USER, ${config.sandboxOwner} CASCADE;`, after: 'SELECT 1 / 0;', restoreArgs: ['--no-owner', `--role=${config.sandboxOwner}`] }),
      /psql failed \(exit code 3\):[\s\S]*division by zero/,
    );
    assert.deepEqual(compareFingerprints(beforeState, await sandboxState(b)), []);
  });

  test('a crashed run removes its container on exit, and a SIGKILLed run\'s container is swept by the next start', async (t) => {
    if (!usable(t)) return;
    const { getContainerRuntimeClient } = await loadTestcontainers();
    const child = (code: string) => spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code], { cwd: join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    const start = `const { loadConfig } = require('./support/config'); const { startContainerBackend } = require('./support/backends/container');
      startContainerBackend(loadConfig({}), { image: ${JSON.stringify(IMAGE)}, allowPull: false })`;
    const docker = (await getContainerRuntimeClient()).container.dockerode;
    const ownedBy = async (pid: number) => (await docker.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${pid}`] } })).map((c) => c.Id).join(' ');

    const crashing = child(`${start}.then(() => { console.log('started'); throw new Error('crash'); });`);
    const crashed = await exitOf(crashing);
    assert.match(crashed.stdout, /started/, crashed.stderr);
    assert.notEqual(crashed.code, 0);
    assert.equal(await ownedBy(crashing.pid!), '', 'container of the crashed run');

    const killed = child(`${start}.then(() => { console.log('started'); setInterval(() => undefined, 1000); });`);
    await new Promise<void>((resolve) => killed.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve()));
    killed.kill('SIGKILL');
    await exitOf(killed);
    assert.notEqual(await ownedBy(killed.pid!), '', 'a SIGKILL leaves the container behind');
    const swept = await sweepStaleContainers();
    assert.ok(swept.some((line) => line.includes(`pid ${killed.pid}`)), swept.join('\n'));
    assert.equal(await ownedBy(killed.pid!), '');
    assert.notEqual(await ownedBy(process.pid), '', 'the sweep leaves the containers of live runs alone');
  });
});

function exitOf(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
