import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { fixtureSql } from '../../fixtures';
import { connect, withClient } from '../db/connect';
import { compareFingerprints, fingerprintDatabase, type Fingerprints } from '../golden/fingerprint';
import { canonicalReset } from '../reset/canonical-reset';
import { startSeededSandbox, type SeededSandbox } from '../testing/throwaway-sandbox';
import { spawnTsChild } from './process-group';

const RESET_LOOP = join(__dirname, 'children', 'reset-loop.ts');
const TRIALS = Number(process.env.FAULT_KILL_TRIALS ?? 24);

// The Dolibarr-shaped fixture plus one bulky table, so that the restore transaction lasts long enough
// (about a second here) for random kills to land inside it rather than in the process start-up.
const APP_SQL = `${fixtureSql('small')};
  CREATE TABLE llx_fault_bulk (rowid serial PRIMARY KEY, fk_soc integer, label text NOT NULL, amount numeric(24,8), note text);
  INSERT INTO llx_fault_bulk (fk_soc, label, amount, note) SELECT g % 97, 'line ' || g, g * 1.5, repeat(md5(g::text), 2) FROM generate_series(1, 150000) g;
  CREATE INDEX idx_fault_bulk_soc ON llx_fault_bulk (fk_soc);
  CREATE INDEX idx_fault_bulk_label ON llx_fault_bulk (label);`;

type Outcome = 'as before' | 'fully reset';

describe('a reset killed with SIGKILL at random points', () => {
  let seeded: SeededSandbox;
  let superuser: Client;

  before(async () => {
    seeded = await startSeededSandbox({ appSql: APP_SQL, lockTimeoutMs: 10_000 });
    superuser = await connect(seeded.sandbox.superuser('erp-sandbox'));
  });
  after(async () => {
    await superuser?.end().catch(() => undefined);
    await seeded?.stop();
  });

  const state = () => withClient(seeded.sandbox.runtime, (c) => fingerprintDatabase(c, seeded.sandbox.scope));

  /** Whether the psql session of a reset is inside its transaction right now (BEGIN done, COMMIT not). */
  async function resetTransactionOpen(): Promise<boolean> {
    const { rows: [r] } = await superuser.query<{ open: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                       WHERE datname = 'erp-sandbox' AND usename = $1 AND xact_start IS NOT NULL
                         AND (state LIKE 'idle in transaction%' OR query_start > xact_start OR query ~* '^\\s*BEGIN')) AS open`,
      [seeded.sandbox.runtime.user],
    );
    return r.open;
  }

  /** Waits until the killed run's server sessions have ended (their transaction rolled back). */
  async function sessionsGone(): Promise<void> {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const { rows: [r] } = await superuser.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'erp-sandbox' AND usename = $1`, [seeded.sandbox.runtime.user]);
      if (r.n === 0) return;
      if (performance.now() > deadline) throw new Error(`${r.n} session(s) of the killed reset still run after 30 s`);
      await sleep(20);
    }
  }

  test(`${TRIALS} kills leave the sandbox as before or fully reset, never in between, and the next reset recovers`, { timeout: 600_000 }, async () => {
    const { target, sandbox } = seeded;
    await canonicalReset(target);
    const baseline = await state();
    const spec = JSON.stringify({ runtime: sandbox.runtime, identity: target.identity, goldenPath: target.golden.path, postReset: target.postReset, lockTimeoutMs: target.lockTimeoutMs });
    // How long one reset takes in the child, from "go": kills are spread over that span.
    const calibration = spawnTsChild(RESET_LOOP, { FAULT_RESET: spec });
    const durations: number[] = [];
    try {
      await calibration.line(/^ready$/, 60_000);
      calibration.child.stdin.write('go\n');
      for (let i = 1; i <= 3; i++) durations.push(Number((await calibration.line(/^reset \d+$/, 60_000, i)).slice('reset '.length)));
    } finally {
      await calibration.killGroup();
    }
    await canonicalReset(target);
    const resetMs = durations.sort((a, b) => a - b)[1];

    const results: { delay: number; inside: boolean; outcome: Outcome; completedResets: number }[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      // A change before every trial, so that "as before" and "fully reset" are different states.
      await withClient(sandbox.runtime, (c) =>
        c.query(`UPDATE llx_fault_bulk SET label = 'trial ${trial}' WHERE rowid = ${trial}; CREATE TABLE llx_fault_trial_${trial} (id integer PRIMARY KEY);`),
      );
      const beforeState: Fingerprints = await state();
      assert.notDeepEqual(compareFingerprints(baseline, beforeState), [], 'the change is visible');

      const run = spawnTsChild(RESET_LOOP, { FAULT_RESET: spec });
      let completedResets = 0;
      run.child.stdout.on('data', (chunk: string) => (completedResets += (chunk.match(/^reset /gm) ?? []).length));
      try {
        await run.line(/^ready$/, 60_000);
        // Five trials in six kill within the first reset's span, the sixth later (after its COMMIT, or in the next reset).
        const delay = resetMs * (trial % 6 === 0 ? 1 + 0.6 * Math.random() : 0.95 * Math.random());
        run.child.stdin.write('go\n');
        await sleep(delay);
        const inside = await resetTransactionOpen();
        await run.killGroup();
        await sessionsGone();
        const found = await state();
        const fromBefore = compareFingerprints(beforeState, found);
        const fromBaseline = compareFingerprints(baseline, found);
        const outcome: Outcome | undefined = fromBefore.length === 0 ? 'as before' : fromBaseline.length === 0 ? 'fully reset' : undefined;
        assert.ok(
          outcome,
          `trial ${trial} (kill after ${Math.round(delay)} ms) left the sandbox in between:\n` +
            `differences from before: ${JSON.stringify(fromBefore.slice(0, 5))}\ndifferences from the baseline: ${JSON.stringify(fromBaseline.slice(0, 5))}`,
        );
        if (inside && outcome === 'fully reset' && completedResets === 0) {
          // Possible only when COMMIT completed between the sample and the kill; counted as what it is.
          process.stdout.write(`# trial ${trial}: transaction seen open, yet the reset committed before the kill\n`);
        }
        results.push({ delay, inside, outcome, completedResets });
      } finally {
        await run.killGroup().catch(() => undefined);
      }
      // The next run recovers: a reset succeeds and gives the baseline exactly.
      await canonicalReset(target);
      assert.deepEqual(compareFingerprints(baseline, await state()), [], `the reset after trial ${trial} restores the baseline`);
    }

    const inside = results.filter((r) => r.inside).length;
    const insideFirst = results.filter((r) => r.inside && r.completedResets === 0).length;
    const count = (outcome: Outcome, inTx?: boolean) => results.filter((r) => r.outcome === outcome && (inTx === undefined || r.inside === inTx)).length;
    process.stdout.write(
      `# SIGKILL during reset: ${results.length} trials (one reset ~${Math.round(resetMs)} ms), ${inside} kills inside a restore transaction (${insideFirst} inside the first reset's, the one that changes the state); ` +
        `outcomes: ${count('as before')} as before (${count('as before', true)} of them inside the transaction), ` +
        `${count('fully reset')} fully reset (${count('fully reset', true)} inside); 0 in between; ${results.length} recovery resets succeeded\n`,
    );
    process.stdout.write(`# trials (kill delay ms / inside transaction / outcome / resets completed before the kill): ${results.map((r) => `${Math.round(r.delay)}/${r.inside ? 'in' : 'out'}/${r.outcome === 'as before' ? 'before' : 'reset'}/${r.completedResets}`).join(' ')}\n`);
    assert.ok(inside * 2 >= results.length, `only ${inside} of ${results.length} kills landed inside a restore transaction`);
    assert.ok(insideFirst * 2 >= results.length, `only ${insideFirst} of ${results.length} kills landed inside the transaction of the reset that changes the state`);
    assert.ok(count('as before', true) > 0, 'at least one kill inside the transaction rolled it back');
  });
});
