import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from 'pg';
import { connect, withClient } from '../support/db/connect';
import { quoteIdent } from '../support/db/ident';
import { diffSandbox, type DiffOptions } from '../support/diff';
import { BaselineVerifier, fastReset, fingerprintSandbox, ScenarioReset, trackedChangedTables, type FastResetResult } from '../support/fastreset';
import { compareFingerprints, fingerprintDatabase, type Fingerprints } from '../support/golden/fingerprint';
import type { Golden } from '../support/golden/golden';
import { canonicalReset } from '../support/reset/canonical-reset';
import { startBenchEnvironment, type BenchEnvironment } from './environment';
import { measure, median, renderTable, type Measurement } from './measure';
import { agentInvoiceScenario, HUB_SCENARIO, LEAF_SCENARIO, type BenchScenario } from './scenarios';

/**
 * npm run bench: the resets, the diff, the verification and the seed on the large fixture (built once and
 * cached), the Before hook on the small one, and the template clone a superuser tool would use as the
 * reference. Medians of BDD_BENCH_RUNS (default 7) runs, BDD_BENCH_SLOW_RUNS (default 5) for operations of
 * seconds. Prints one table and writes the figures to bench/results/. Every fast reset is followed by a
 * whole-sandbox verification against the baseline: a fast reset that is not exact stops the bench.
 */

const RUNS = Math.max(5, Number(process.env.BDD_BENCH_RUNS ?? 7));
const SLOW_RUNS = Math.max(5, Number(process.env.BDD_BENCH_SLOW_RUNS ?? 5));
const RESULTS_DIR = resolve(__dirname, 'results');
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const results: Measurement[] = [];
function record(scale: Measurement['scale'], name: string, what: string, runs: number[], targetMs?: number): void {
  const m = { name, scale, what, runs: runs.map((r) => Math.round(r * 10) / 10), median: Math.round(median(runs) * 10) / 10, ...(targetMs !== undefined && { targetMs }) };
  results.push(m);
  log(`${scale} ${name}: median ${m.median} ms over ${runs.length} runs`);
}

/** The whole sandbox against the baseline; a difference stops the bench (the fast reset would be wrong). */
async function assertBaseline(client: Client, env: BenchEnvironment, baseline: Fingerprints, after: string): Promise<number> {
  const started = performance.now();
  const differences = compareFingerprints(baseline, await fingerprintSandbox(client, env.scope));
  const ms = performance.now() - started;
  if (differences.length) throw new Error(`After ${after} the sandbox differs from the baseline:\n${JSON.stringify(differences, null, 2)}`);
  return ms;
}

function fastOrFail(result: FastResetResult, after: string): number {
  if (result.fallback !== undefined) throw new Error(`The fast reset after ${after} fell back: ${result.fallback}`);
  return result.ms;
}

async function templateClone(env: BenchEnvironment, runs: number): Promise<number[]> {
  const admin = await connect(env.superuser('postgres'));
  try {
    return await measure(runs, async () => {
      for (let attempt = 1; ; attempt++) {
        const started = performance.now();
        try {
          await admin.query(`CREATE DATABASE bench_clone TEMPLATE ${quoteIdent(env.layout.sandboxDatabase)}`);
          return performance.now() - started;
        } catch (error) {
          // An autovacuum worker connected to the template: try again.
          if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }, undefined, async () => void (await admin.query('DROP DATABASE bench_clone')));
  } finally {
    await admin.end();
  }
}

async function benchLarge(): Promise<Record<string, unknown>> {
  const env = await startBenchEnvironment('large', log);
  const work = mkdtempSync(join(tmpdir(), 'erp-sandbox-bench-'));
  try {
    let golden: Golden | undefined;
    record('large', 'seed', 'pg_dump of production, restore and scrub in the sandbox, pg_dump of the sandbox, manifests (the harness seed)',
      await measure(SLOW_RUNS, async (run) => void (golden = await env.seed(join(work, `golden-${run}.dump`)))));
    const targets = env.targetsFor(golden!);
    record('large', 'canonical reset without tracking', 'DROP OWNED + pg_restore + post-reset steps + baseline copy, one transaction (before this work)',
      await measure(SLOW_RUNS, async () => void (await canonicalReset(targets.untracked))));
    record('large', 'canonical reset', 'the same, plus installing the change tracking (what the harness falls back to)',
      await measure(SLOW_RUNS, async () => void (await canonicalReset(targets.tracked))));
    const baseline = await withClient(env.runtime, (c) => fingerprintDatabase(c, env.scope));

    const client = await connect(env.runtime);
    // After every fast reset: the proof, as the Before hook runs it (incremental; the first one hashes everything).
    const verifier = new BaselineVerifier(env.scope, () => baseline);
    const verifications: number[] = [];
    let firstVerification: number | undefined;
    const prove = async (after: string) => {
      const verification = await verifier.verify(client);
      if (verification.differences.length) throw new Error(`After ${after} the sandbox differs from the baseline:\n${JSON.stringify(verification.differences, null, 2)}`);
      if (firstVerification === undefined) firstVerification = verification.ms;
      else verifications.push(verification.ms);
    };
    try {
      const fastAfter = async (scenario: BenchScenario | undefined, name: string, what: string, targetMs?: number) => {
        const runs = await measure(RUNS, async () => fastOrFail(await fastReset(client, targets.fast), name),
          async (run) => void (await scenario?.apply(client, run)),
          () => prove(name));
        record('large', name, what, runs, targetMs);
      };
      await fastAfter(undefined, 'fast reset, nothing changed', 'the floor: tracking and catalog checks, sequences, commit');
      await fastAfter(LEAF_SCENARIO, 'fast reset after a leaf scenario', LEAF_SCENARIO.describes, 50);
      await fastAfter(HUB_SCENARIO, 'fast reset after a hub scenario', HUB_SCENARIO.describes, 1000);
      const typical = { name: 'typical', describes: '', apply: (_c: Client, run: number) => agentInvoiceScenario(env.runtime, env.agentLogin, 1000 + run) };
      await fastAfter(typical, 'fast reset after the invoice scenario', 'the agent registers a customer and a product, invoices three, validates (diff.feature)');

      const diffOptions: DiffOptions = {
        appSchema: env.scope.schema,
        tablePattern: env.scope.tablePattern,
        copySchema: targets.fast.copySchema,
        goldenSha256: golden!.manifest!.golden.sha256,
        baselineFingerprint: baseline.data,
      };
      const guided = { ...diffOptions, changedTables: trackedChangedTables(targets.fast) };
      const diffAfterInvoice = async (options: DiffOptions, runs: number) =>
        measure(runs, async () => {
          const changeSet = await diffSandbox(client, options);
          if (changeSet.changes.length !== 5) throw new Error(`The diff after the invoice scenario found ${changeSet.changes.length} changes instead of 5.`);
        }, (run) => agentInvoiceScenario(env.runtime, env.agentLogin, 2000 + run + runs * (options === guided ? 0 : 100)),
        async () => {
          fastOrFail(await fastReset(client, targets.fast), 'the diff');
          await prove('the diff');
        });
      record('large', 'diff after the invoice scenario', 'the change set, guided by the tracking (only the tracked rows are compared)', await diffAfterInvoice(guided, RUNS), 100);
      record('large', 'diff, hashing every table', 'the same change set without the tracking (every table hashed on both sides)', await diffAfterInvoice(diffOptions, SLOW_RUNS));

      record('large', 'whole-sandbox verification', 'after each fast reset above: catalog and sequences whole, tables touched since the last proof hashed, the others proven untouched by their row versions', verifications, 1000);
      record('large', 'verification, every row hashed', `the same hashing every table (parallel workers), as the first verification of a run does (that one: ${Math.round(firstVerification ?? 0)} ms)`,
        await measure(SLOW_RUNS, async () => void (await assertBaseline(client, env, baseline, 'the full verification'))));
      record('large', 'verification, one process', 'fingerprintDatabase (harness.verify today)',
        await measure(SLOW_RUNS, async () => void compareFingerprints(baseline, await fingerprintDatabase(client, env.scope))));
    } finally {
      await client.end();
    }
    record('large', 'template clone (superuser, reference)', 'CREATE DATABASE ... TEMPLATE the sandbox: needs CREATEDB and no other session, not allowed on the sandbox', await templateClone(env, SLOW_RUNS));
    return { fixture: env.built, postgres: env.bin.version };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await env.stop();
  }
}

async function benchSmall(): Promise<Record<string, unknown>> {
  const env = await startBenchEnvironment('small', log);
  const work = mkdtempSync(join(tmpdir(), 'erp-sandbox-bench-'));
  try {
    const targets = env.targetsFor(await env.seed(join(work, 'golden.dump')));
    record('small', 'canonical reset', 'DROP OWNED + pg_restore + post-reset steps + baseline copy + tracking, one transaction',
      await measure(SLOW_RUNS, async () => void (await canonicalReset(targets.tracked))));
    const baseline = await withClient(env.runtime, (c) => fingerprintDatabase(c, env.scope));
    const hook = (verify: boolean) =>
      new ScenarioReset({
        runtime: env.runtime,
        identity: { ...env.layout },
        fast: targets.fast,
        canonical: () => canonicalReset(targets.tracked),
        ...(verify && { verify: { scope: env.scope, baseline: () => baseline } }),
      });
    for (const verify of [false, true]) {
      const resets = hook(verify);
      try {
        resets.noteCanonicalReset();
        const runs = await measure(RUNS, async () => {
          const outcome = await resets.reset();
          if (outcome.path !== 'fast') throw new Error(`The Before hook's reset was not fast: ${outcome.reason}`);
        }, (run) => agentInvoiceScenario(env.runtime, env.agentLogin, 3000 + run + (verify ? 100 : 0)));
        record('small', verify ? 'Before hook, verification on' : 'Before hook, verification off',
          `the reset before a scenario (ScenarioReset.reset) after the invoice scenario${verify ? ', then the whole-sandbox verification' : ''}`, runs, verify ? undefined : 30);
      } finally {
        await resets.close();
      }
    }
    await withClient(env.runtime, async (c) => void (await assertBaseline(c, env, baseline, 'the Before hook')));
    record('small', 'template clone (superuser, reference)', 'CREATE DATABASE ... TEMPLATE the sandbox', await templateClone(env, SLOW_RUNS));
    return { fixture: env.built };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await env.stop();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  const large = await benchLarge();
  const small = await benchSmall();
  const table = renderTable(results);
  process.stdout.write(`\nerp-sandbox-bdd bench, ${startedAt.toISOString()}, PostgreSQL ${large.postgres}, ${cpus().length} CPU(s), load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadavg().map((l) => l.toFixed(2)).join(' ')} after\n\n${table}\n\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const report = {
    kind: 'erp-sandbox-bdd bench',
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), loadAverageBefore: loadBefore, loadAverageAfter: loadavg(), node: process.version },
    postgres: large.postgres,
    runs: { fast: RUNS, slow: SLOW_RUNS },
    fixtures: { large: large.fixture, small: small.fixture },
    results,
    table,
  };
  writeFileSync(`${file}.tmp`, JSON.stringify(report, null, 2) + '\n');
  rmSync(file, { force: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  rmSync(`${file}.tmp`, { force: true });
  process.stdout.write(`figures written to ${file}\n`);
}

main().catch((error) => {
  process.stderr.write(`[bench] failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
