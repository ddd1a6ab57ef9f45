import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withClient } from '../db/connect';
import { compareFingerprints, fingerprintDatabase } from '../golden/fingerprint';
import { fingerprintsOf } from '../golden/manifest';
import type { Golden } from '../golden/golden';
import { truncated } from '../golden/doctored';
import { openGolden } from '../golden/golden';
import { startSeededSandbox, type SeededSandbox, type ThrowawaySandbox } from '../testing/throwaway-sandbox';
import { canonicalReset, type ResetTarget } from './canonical-reset';

describe('canonical reset on a real PostgreSQL', () => {
  let seeded: SeededSandbox;
  let sandbox: ThrowawaySandbox;
  let golden: Golden;
  let target: ResetTarget;

  before(async () => {
    seeded = await startSeededSandbox();
    ({ sandbox, golden, target } = seeded);
  });
  after(async () => {
    await seeded?.stop();
  });

  const sandboxState = () => withClient(sandbox.runtime, (c) => fingerprintDatabase(c, sandbox.scope));

  test('the golden leaves out the relation that is not the application\'s, and the reset matches the manifest', async () => {
    const listing = await sandbox.tools.list(golden.path);
    assert.doesNotMatch(listing, /not_the_app/);
    assert.doesNotMatch(listing, /pooler/);
    await canonicalReset(target);
    assert.deepEqual(compareFingerprints(fingerprintsOf(golden.manifest!), await sandboxState()), []);
  });

  test('a fingerprint sees a lost primary key, a changed row and an advanced sequence', async () => {
    await canonicalReset(target);
    await withClient(sandbox.runtime, (c) => c.query(`ALTER TABLE llx_child DROP CONSTRAINT llx_child_pkey; UPDATE llx_parent SET label = 'x' WHERE rowid = 3; SELECT nextval('llx_parent_rowid_seq')`));
    const what = compareFingerprints(fingerprintsOf(golden.manifest!), await sandboxState()).map((d) => d.what).sort();
    assert.deepEqual(what, ['catalog table llx_child: constraints', 'catalog table llx_child: indexes', 'sequence llx_parent_rowid_seq', 'table llx_parent']);
    await canonicalReset(target);
    assert.deepEqual(compareFingerprints(fingerprintsOf(golden.manifest!), await sandboxState()), []);
  });

  test('a truncated golden is refused before anything is touched', async () => {
    await canonicalReset(target);
    await withClient(sandbox.runtime, (c) => c.query(`DELETE FROM llx_child WHERE rowid < 10`));
    const beforeState = await sandboxState();
    const bad = truncated(golden);
    try {
      await assert.rejects(canonicalReset({ ...target, golden: { ...golden, path: bad.path } }), /does not match its manifest/);
      await assert.rejects(openGolden(bad.path, sandbox.tools, false), /does not match its manifest/);
    } finally {
      bad.cleanup();
    }
    assert.deepEqual(compareFingerprints(beforeState, await sandboxState()), []);
  });

  test('an unreadable archive that slips past the checksum still rolls back whole', async () => {
    await canonicalReset(target);
    await withClient(sandbox.runtime, (c) => c.query(`DELETE FROM llx_child WHERE rowid < 10`));
    const beforeState = await sandboxState();
    const bad = truncated(golden);
    try {
      // No manifest check: the stream from pg_restore ends early, so COMMIT must never be sent.
      await assert.rejects(canonicalReset({ ...target, golden: { ...golden, path: bad.path, manifest: undefined } }), /pg_restore|psql/);
    } finally {
      bad.cleanup();
    }
    assert.deepEqual(compareFingerprints(beforeState, await sandboxState()), []);
  });

  test('the reset refuses a target that is not the sandbox', async () => {
    await assert.rejects(canonicalReset({ ...target, runtime: { ...sandbox.superuser('erp-sandbox') } }), /not provably the sandbox[\s\S]*superuser/);
    await assert.rejects(canonicalReset({ ...target, identity: { ...target.identity, sandboxDatabase: 'erp' } }), /database is "erp-sandbox", expected "erp"/);
  });
});
