import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, withClient } from '../db/connect';
import { diffSandbox, type DiffOptions } from '../diff';
import { compareFingerprints, fingerprintDatabase } from '../golden/fingerprint';
import { loginFacts } from '../sandbox/inspect';
import { trackedChangedTables } from './changed-tables';
import { fastReset, type FastResetResult } from './fast-reset';
import { startTrackedSandbox, type TrackedSandbox } from './testing-sandbox';
import { fingerprintSandbox } from './verify';

const isFast = (r: FastResetResult) => assert.equal(r.fallback, undefined, `expected a fast reset, got the fallback: ${r.fallback}`);
const fellBack = (r: FastResetResult, reason: RegExp) => {
  assert.ok(r.fallback !== undefined, 'expected a fallback, got a fast reset');
  assert.match(r.fallback, reason);
};

describe('fast reset on a real PostgreSQL', () => {
  let t: TrackedSandbox;
  const differences = async () => compareFingerprints(t.baseline, await t.fingerprint());
  const asSuperuser = (sql: string) => withClient(t.sandbox.superuser('erp-sandbox'), (c) => c.query(sql));
  /**
   * After a fallback nothing was changed (but sequences, when a restore was attempted: application triggers it
   * fired drew numbers, and nextval is not transactional); the canonical reset then puts everything back.
   */
  const fallBackAndRecover = async (reason: RegExp, restoreAttempted = false) => {
    const beforeFast = await t.fingerprint();
    fellBack(await t.fast(), reason);
    const changed = compareFingerprints(beforeFast, await t.fingerprint()).filter((d) => !(restoreAttempted && d.what.startsWith('sequence ')));
    assert.deepEqual(changed, [], 'a fallback changes nothing');
    await t.canonical();
    assert.deepEqual(await differences(), []);
    isFast(await t.fast());
  };

  before(async () => {
    t = await startTrackedSandbox();
  });
  after(async () => {
    await t?.stop();
  });

  test('an untouched sandbox: nothing to restore, and it stays the baseline', async () => {
    const r = await t.fast();
    isFast(r);
    assert.deepEqual(r.fallback === undefined && [r.tables, r.sequences, r.removed, r.inserted], [[], [], 0, 0]);
    assert.deepEqual(await differences(), []);
  });

  test('inserts, updates and deletes along foreign keys go back, with a parent that children point at, in one pass', async () => {
    await t.run(`
      UPDATE llx_parent SET label = 'renamed', amount = 1 WHERE rowid = 3;              -- 10 children point at it (NO ACTION, not deferrable)
      INSERT INTO llx_parent (code, label) VALUES ('NEW', 'new parent');
      INSERT INTO llx_child (fk_parent, note) VALUES (currval('llx_parent_rowid_seq'), 'child of the new parent'), (3, 'another child of 3');
      INSERT INTO llx_grandchild (fk_child, fk_parent, label) VALUES (currval('llx_child_rowid_seq'), 3, 'grandchild');
      DELETE FROM llx_grandchild WHERE fk_child = 7; DELETE FROM llx_child WHERE rowid = 7;
      UPDATE llx_child SET fk_parent = 5 WHERE rowid = 9;
      UPDATE "llx_odd ""quoted"" name" SET "Label" = 'uno';`);
    assert.notDeepEqual(await differences(), []);
    const r = await t.fast();
    isFast(r);
    assert.deepEqual(r.fallback === undefined && r.tables.map((x) => x.table), ['llx_child', 'llx_grandchild', 'llx_odd "quoted" name', 'llx_parent']);
    assert.deepEqual(r.fallback === undefined && r.sequences, ['llx_child_rowid_seq', 'llx_grandchild_rowid_seq', 'llx_parent_rowid_seq']);
    assert.deepEqual(await differences(), []);
  });

  test('swapped unique values, a changed primary key, a self-reference, identity and generated columns, a composite key', async () => {
    await t.run(`
      UPDATE llx_parent SET code = 'tmp' WHERE rowid = 1; UPDATE llx_parent SET code = 'P1' WHERE rowid = 2; UPDATE llx_parent SET code = 'P2' WHERE rowid = 1;
      UPDATE llx_user SET rowid = 100 WHERE login = 'agent';
      INSERT INTO llx_node (fk_parent_node, name, depth) VALUES (1, 'new leaf', 2);
      INSERT INTO llx_node (fk_parent_node, name, depth) VALUES (currval('llx_node_rowid_seq'), 'leaf of the new leaf', 3);
      UPDATE llx_node SET depth = 7, name = 'moved' WHERE rowid = 30;                   -- in place: llx_link cascades on delete
      DELETE FROM llx_link WHERE fk_parent = 2; UPDATE llx_link SET weight = -1 WHERE fk_node = 5;`);
    isFast(await t.fast());
    assert.deepEqual(await differences(), []);
  });

  test('a table without a primary key is restored whole', async () => {
    await t.run(`DELETE FROM llx_tag WHERE ctid = (SELECT min(ctid) FROM llx_tag WHERE label = 'red'); INSERT INTO llx_tag VALUES ('green', 3)`);
    const r = await t.fast();
    isFast(r);
    assert.deepEqual(r.fallback === undefined && r.tables, [{ table: 'llx_tag', keys: 0, whole: true }]);
    assert.deepEqual(await differences(), []);
  });

  test('sequences drawn without a row, rolled-back inserts, and a never-called sequence moved go back', async () => {
    await t.run(`SELECT nextval('llx_child_rowid_seq') FROM generate_series(1, 5); SELECT setval('llx_audit_rowid_seq', 42, false)`);
    await assert.rejects(t.run(`BEGIN; INSERT INTO llx_parent (code) VALUES ('rolled back'); INSERT INTO llx_parent (code) VALUES ('P1'); COMMIT`), /duplicate key/);
    const r = await t.fast();
    isFast(r);
    assert.deepEqual(r.fallback === undefined && r.tables, []);
    assert.deepEqual(r.fallback === undefined && r.sequences, ['llx_audit_rowid_seq', 'llx_child_rowid_seq', 'llx_parent_rowid_seq']);
    assert.deepEqual(await differences(), []);
  });

  test("writes by the Dolibarr role are tracked too, and that role cannot reach the tracking", async () => {
    const app = t.sandbox.roles.appRole;
    await asSuperuser(`SET ROLE ${app}; INSERT INTO llx_parent (code) VALUES ('by the app'); UPDATE llx_child SET note = 'by the app' WHERE rowid = 2`);
    await assert.rejects(asSuperuser(`SET ROLE ${app}; DELETE FROM erp_sandbox_bdd_track.bdd_track_changes`), /permission denied/);
    isFast(await t.fast());
    assert.deepEqual(await differences(), []);
  });

  test('the tracking is owned by the sandbox owner, never by the login, and the baseline copy and bookkeeping refuse writes', async () => {
    const facts = await withClient(t.sandbox.runtime, loginFacts);
    assert.equal(facts.ownedObjects, 0);
    await assert.rejects(t.run(`UPDATE erp_sandbox_bdd.llx_parent SET label = 'forged'`), /belongs to the harness.*read-only/);
    await assert.rejects(t.run(`INSERT INTO erp_sandbox_bdd.llx_tag VALUES ('forged', 0)`), /read-only/);
    await assert.rejects(t.run(`TRUNCATE erp_sandbox_bdd.llx_tag`), /read-only/);
    await t.run(`UPDATE llx_parent SET label = 'x' WHERE rowid = 4`);
    await assert.rejects(t.run(`DELETE FROM erp_sandbox_bdd_track.bdd_track_changes`), /read-only/);
    await assert.rejects(t.run(`UPDATE erp_sandbox_bdd_track.bdd_track_changes SET tbl = 'llx_tag'`), /read-only/);
    await assert.rejects(t.run(`UPDATE erp_sandbox_bdd_track.bdd_track_state SET token_sha256 = 'x'`), /read-only/);
    isFast(await t.fast());
    assert.deepEqual(await differences(), []);
  });

  test('an update of a row whose table cascades on delete and has a BEFORE UPDATE trigger falls back (the trigger would restamp it)', async () => {
    await t.run(`INSERT INTO llx_category (label) VALUES ('new category')`);
    isFast(await t.fast());
    await t.run(`UPDATE llx_category SET label = 'renamed' WHERE rowid = 2`);
    await fallBackAndRecover(/llx_category: rows differ from the copy/, true);
  });

  test('a restore whose re-inserts fire a trigger writing elsewhere falls back', async () => {
    await t.run(`INSERT INTO llx_watched (label) VALUES ('new')`); // its audit row is tracked: deleting both is clean
    isFast(await t.fast());
    await t.run(`DELETE FROM llx_watched WHERE rowid = 3`); // re-inserting it fires the audit trigger
    await fallBackAndRecover(/llx_audit: rows changed as a side effect of the restore/, true);
  });

  for (const [what, sql, reason] of [
    ['an added column', 'ALTER TABLE llx_child ADD COLUMN extra integer', /structure changed.*relation public\.llx_child changed/],
    ['a dropped table', 'DROP TABLE llx_tag', /structure changed.*relation public\.llx_tag disappeared/],
    ['a table of its own', 'CREATE TABLE llx_agent_notes (rowid serial PRIMARY KEY, note text)', /structure changed.*relation public\.llx_agent_notes appeared/],
    ['a renamed column', 'ALTER TABLE llx_parent RENAME COLUMN label TO title', /structure changed.*llx_parent changed/],
    ['a dropped NOT NULL', 'ALTER TABLE llx_child ALTER COLUMN fk_parent DROP NOT NULL', /structure changed.*llx_child changed/],
    ['a new index', 'CREATE INDEX ON llx_child (note)', /structure changed/],
    ['a replaced function of the application', 'CREATE OR REPLACE FUNCTION touch_tms() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql', /function public\.touch_tms\(\) changed/],
  ] as const) {
    test(`DDL falls back: ${what}`, async () => {
      await t.run(sql);
      await fallBackAndRecover(reason);
    });
  }

  test('a truncation falls back, and is named as such', async () => {
    await t.run('TRUNCATE llx_tag');
    await fallBackAndRecover(/truncated since the last reset: llx_tag/);
  });

  for (const [what, sql, reason] of [
    ['a disabled tracking trigger, even re-enabled', `ALTER TABLE llx_parent DISABLE TRIGGER zz_bdd_track; UPDATE llx_parent SET label = 'unseen' WHERE rowid = 6;
      ALTER TABLE llx_parent ENABLE TRIGGER zz_bdd_track`, /relation public\.llx_parent changed/],
    ['a dropped tracking trigger', 'DROP TRIGGER zz_bdd_track ON llx_child', /relation public\.llx_child changed/],
    ['edited bookkeeping (its guard lifted)', `UPDATE llx_parent SET label = 'hidden' WHERE rowid = 8;
      ALTER TABLE erp_sandbox_bdd_track.bdd_track_changes DISABLE TRIGGER zz_bdd_guard; DELETE FROM erp_sandbox_bdd_track.bdd_track_changes;
      ALTER TABLE erp_sandbox_bdd_track.bdd_track_changes ENABLE TRIGGER zz_bdd_guard`, /relation erp_sandbox_bdd_track\.bdd_track_changes changed/],
    ['a replaced tracking function', `CREATE OR REPLACE FUNCTION erp_sandbox_bdd_track.zz_bdd_track_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
      /function erp_sandbox_bdd_track\.zz_bdd_track_row\(\) changed/],
    ['a baseline copy edited with its guard lifted', `ALTER TABLE erp_sandbox_bdd.llx_parent DISABLE TRIGGER zz_bdd_guard; UPDATE erp_sandbox_bdd.llx_parent SET label = 'forged'`,
      /relation erp_sandbox_bdd\.llx_parent changed/],
    ['the tracking dropped', 'DROP SCHEMA erp_sandbox_bdd_track CASCADE', /tracking is missing|structure changed/],
  ] as const) {
    test(`tampering falls back: ${what}`, async () => {
      await t.run(sql);
      await fallBackAndRecover(reason);
    });
  }

  test("tracking installed by another run is not trusted: its starting state is unknown", async () => {
    await t.run(`UPDATE llx_parent SET label = 'x' WHERE rowid = 9`);
    const other = await connect(t.sandbox.runtime);
    try {
      fellBack(await fastReset(other, { ...t.fastOptions, runToken: 'another-run-token-0123456789' }), /another run or process/);
      fellBack(await fastReset(other, { ...t.fastOptions, goldenSha256: 'f'.repeat(64) }), /another golden/);
    } finally {
      await other.end();
    }
    isFast(await t.fast());
    assert.deepEqual(await differences(), []);
  });

  test('a canonical reset reinstalls the tracking, and the next fast reset trusts it', async () => {
    await t.canonical();
    await t.canonical();
    await t.run(`DELETE FROM llx_grandchild WHERE rowid = 10`);
    isFast(await t.fast());
    assert.deepEqual(await differences(), []);
  });

  test('the parallel whole-sandbox fingerprint equals fingerprintDatabase, and sees a change', async () => {
    const scope = t.sandbox.scope;
    await withClient(t.sandbox.runtime, async (c) => {
      assert.deepEqual(compareFingerprints(await fingerprintDatabase(c, scope), await fingerprintSandbox(c, scope)), []);
      await c.query(`UPDATE llx_child SET qty = qty + 1 WHERE rowid = 11`);
      const found = compareFingerprints(t.baseline, await fingerprintSandbox(c, scope, { parallelWorkers: 0 }));
      assert.deepEqual(found.map((d) => d.what), ['table llx_child']);
    });
    isFast(await t.fast());
  });

  test('the diff guided by the tracking reads only the changed rows and finds exactly what the full diff finds', async () => {
    const options: DiffOptions = {
      appSchema: 'public',
      tablePattern: 'llx\\_%',
      copySchema: t.fastOptions.copySchema,
      goldenSha256: t.golden.manifest!.golden.sha256,
      baselineFingerprint: t.golden.manifest!.data,
    };
    const guided = { ...options, changedTables: trackedChangedTables(t.fastOptions) };
    const both = () => withClient(t.sandbox.runtime, async (c) => [await diffSandbox(c, options), await diffSandbox(c, guided)] as const);
    const strip = (cs: { createdAt: string }) => ({ ...cs, createdAt: '' });

    const [emptyFull, emptyGuided] = await both();
    assert.deepEqual(strip(emptyGuided), strip(emptyFull));
    await t.run(`
      UPDATE llx_parent SET label = 'Renamed', amount = 99.5 WHERE rowid = 3; UPDATE llx_parent SET tms = now() WHERE rowid = 4;
      INSERT INTO llx_parent (code, label) VALUES ('PNEW', 'New parent');
      INSERT INTO llx_child (fk_parent, note) VALUES (currval('llx_parent_rowid_seq'), 'child of new');
      DELETE FROM llx_grandchild WHERE rowid = 21; UPDATE llx_user SET api_key = 'secret-777' WHERE login = 'admin';
      INSERT INTO llx_tag VALUES ('blue', 2); UPDATE llx_link SET weight = 0 WHERE fk_parent = 3;`);
    const [full, guidedSet] = await both();
    assert.ok(full.changes.length >= 7, JSON.stringify(full.changes));
    assert.deepEqual(strip(guidedSet), strip(full));
    const statements: string[] = [];
    await withClient(t.sandbox.runtime, (c) => {
      const query = c.query.bind(c) as (...args: unknown[]) => unknown;
      (c as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0] as string | { text: string };
        statements.push(typeof first === 'string' ? first : first.text);
        return query(...args);
      };
      return diffSandbox(c, guided);
    });
    assert.equal(statements.filter((s) => /hashtextextended/.test(s)).length, 0, 'no table is hashed');
    assert.ok(statements.filter((s) => /FULL OUTER JOIN/.test(s)).every((s) => /IN \(SELECT/.test(s)), 'every keyed row diff is limited to the tracked keys');

    // Untrusted tracking (DDL): the guided diff compares everything, like the full one.
    await t.run('ALTER TABLE llx_child ADD COLUMN extra integer');
    const [ddlFull, ddlGuided] = await both();
    assert.deepEqual(ddlGuided.tables.altered, [{ table: 'llx_child', addedColumns: ['extra'], droppedColumns: [] }]);
    assert.deepEqual(strip(ddlGuided), strip(ddlFull));
    await t.canonical();
  });
});
