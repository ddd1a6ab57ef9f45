import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareFingerprints } from '../golden/fingerprint';
import { FastResetVerificationError, ScenarioReset } from './scenario-reset';
import { startTrackedSandbox, type TrackedSandbox } from './testing-sandbox';

describe('the reset before every scenario', () => {
  let t: TrackedSandbox;
  let canonicalRuns = 0;
  const scenarioReset = (extra: Partial<ConstructorParameters<typeof ScenarioReset>[0]> = {}) =>
    new ScenarioReset({
      runtime: t.sandbox.runtime,
      identity: { ...t.sandbox.layout },
      fast: t.fastOptions,
      canonical: async () => {
        canonicalRuns++;
        const started = performance.now();
        await t.canonical();
        return { ms: performance.now() - started };
      },
      verify: { scope: t.sandbox.scope, baseline: () => t.baseline },
      ...extra,
    });

  before(async () => {
    t = await startTrackedSandbox();
  });
  after(async () => {
    await t?.stop();
  });

  test('the first reset of a run is canonical, the next ones fast and verified, and a fallback runs the canonical one', async () => {
    const resets = scenarioReset();
    try {
      const first = await resets.reset();
      assert.equal(first.path, 'canonical');
      assert.match(first.reason!, /first reset/);
      await t.run(`INSERT INTO llx_parent (code) VALUES ('scenario'); DELETE FROM llx_grandchild WHERE rowid = 3`);
      const second = await resets.reset();
      assert.equal(second.path, 'fast', second.summary);
      assert.ok(second.verifyMs !== undefined && second.verifyMs >= 0);
      assert.match(second.summary, /fast: 2 table\(s\).*verified equal to the baseline/);
      await t.run('ALTER TABLE llx_child ADD COLUMN extra integer');
      const third = await resets.reset();
      assert.equal(third.path, 'canonical');
      assert.match(third.reason!, /structure changed.*llx_child/);
      assert.deepEqual(compareFingerprints(t.baseline, await t.fingerprint()), []);

      resets.forgetState(); // a scenario restored another golden
      assert.equal((await resets.reset()).path, 'canonical');
      assert.equal((await resets.reset()).path, 'fast');
    } finally {
      await resets.close();
    }
  });

  test('a verification that finds a difference after a fast reset runs the canonical reset and fails loudly', async () => {
    const wrongBaseline = { ...t.baseline, data: { ...t.baseline.data, tables: { ...t.baseline.data.tables, llx_parent: { rows: 1, hash: '0:0' } } } };
    const resets = scenarioReset({ verify: { scope: t.sandbox.scope, baseline: () => wrongBaseline } });
    try {
      resets.noteCanonicalReset();
      const before = canonicalRuns;
      await assert.rejects(resets.reset(), (error: Error) => error instanceof FastResetVerificationError && /table llx_parent: expected 1 rows/.test(error.message));
      assert.equal(canonicalRuns, before + 1);
    } finally {
      await resets.close();
    }
  });

  test('configured canonical: every reset is canonical', async () => {
    const resets = scenarioReset({ mode: 'canonical' });
    try {
      resets.noteCanonicalReset();
      assert.equal((await resets.reset()).path, 'canonical');
    } finally {
      await resets.close();
    }
  });
});
