import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientBase } from 'pg';
import { withClient } from '../db/connect';
import { startBaselineSandbox, type BaselineSandbox } from '../baseline/testing-sandbox';
import { changeSetToJson, diffSandbox, renderChangeSet, type Change, type ChangeSet, type DiffOptions } from './index';

describe('diffSandbox on a real PostgreSQL', () => {
  let b: BaselineSandbox;
  let options: DiffOptions;
  const diff = (extra: Partial<DiffOptions> = {}) => withClient(b.sandbox.runtime, (c) => diffSandbox(c, { ...options, ...extra }));
  const changesOf = (cs: ChangeSet, table?: string): Change[] => cs.changes.filter((c) => !table || c.table === table);

  before(async () => {
    b = await startBaselineSandbox();
    options = {
      appSchema: 'public',
      tablePattern: 'llx\\_%',
      copySchema: b.copySchema,
      goldenSha256: b.golden.manifest!.golden.sha256,
      baselineFingerprint: b.golden.manifest!.data,
    };
  });
  after(async () => {
    await b?.stop();
  });

  test('an untouched sandbox diffs empty', async () => {
    await b.reset();
    const cs = await diff();
    assert.equal(cs.format, 'erp-sandbox-bdd change set');
    assert.equal(cs.version, 1);
    assert.deepEqual(cs.golden, { sha256: b.golden.manifest!.golden.sha256 });
    assert.deepEqual(cs.tables, { added: [], dropped: [], altered: [] });
    assert.deepEqual(cs.changes, []);
    assert.deepEqual(cs.ignoredColumns, ['tms', 'datec', 'date_creation', 'date_valid', 'import_key']);
    assert.match(renderChangeSet(cs), /No row changes/);
  });

  test('an insert, an update and a delete are reported with their exact values', async () => {
    await b.reset();
    await b.run(`INSERT INTO llx_child (fk_parent, note, qty) VALUES (5, 'new line', 2.5);
                 UPDATE llx_parent SET label = 'Renamed', amount = 99.5 WHERE rowid = 3;
                 DELETE FROM llx_child WHERE rowid = 21;`);
    const started = performance.now();
    const cs = await diff();
    console.log(`diffSandbox after a 3-row change on the tiny app: ${(performance.now() - started).toFixed(1)} ms`);
    assert.deepEqual(cs.changes, [
      { table: 'llx_child', op: 'insert', key: { $new: 'llx_child#1' }, sandboxKey: { rowid: 2001 }, row: { fk_parent: 5, note: 'new line', qty: '2.5' } },
      {
        table: 'llx_parent',
        op: 'update',
        key: { rowid: 3 },
        natural: { code: 'P3' },
        columns: { label: { before: "Café n°3 l'Étoile", after: 'Renamed' }, amount: { before: '3.75000000', after: '99.50000000' } },
      },
      { table: 'llx_child', op: 'delete', key: { rowid: 21 }, row: { rowid: 21, fk_parent: 22, note: null, qty: 7 } },
    ]);
    const text = renderChangeSet(cs);
    assert.match(text, /llx_parent +update +rowid=3 \(code="P3"\) +label: "Café n°3 l'Étoile" -> "Renamed", amount: "3\.75000000" -> "99\.50000000"/);
    assert.match(text, /llx_child +insert +\$new llx_child#1 \(sandbox rowid=2001\) +fk_parent: \(none\) -> 5, note: \(none\) -> "new line"/);
    assert.deepEqual(JSON.parse(changeSetToJson(cs)), cs);
  });

  test('numbers that JavaScript would round travel as exact decimal text', async () => {
    await b.reset();
    await b.run(`UPDATE llx_parent SET amount = 1234567890123456.12345678 WHERE rowid = 8; UPDATE llx_child SET qty = 0.1 WHERE rowid = 1`);
    const cs = await diff();
    assert.deepEqual(cs.changes.map((c) => c.op === 'update' && c.columns), [
      { amount: { before: '10.00000000', after: '1234567890123456.12345678' } },
      { qty: { before: '0.3333333333333333', after: '0.1' } },
    ]);
  });

  test('an update that only touches ignored columns is not a change, though the table is flagged', async () => {
    await b.reset();
    await b.run(`UPDATE llx_parent SET tms = now() WHERE rowid = 4;
                 UPDATE llx_parent SET label = label WHERE rowid = 5; -- the trigger sets tms
                 UPDATE llx_user SET datec = now() - interval '1 day'`);
    const cs = await diff();
    assert.deepEqual(cs.changes, []);
    const flagged = await diff({ ignoredColumns: [] });
    assert.deepEqual(
      flagged.changes.map((c) => `${c.table} ${c.op} ${JSON.stringify(c.key)} ${c.op === 'update' ? Object.keys(c.columns).join(',') : ''}`),
      ['llx_parent update {"rowid":4} tms', 'llx_parent update {"rowid":5} tms', 'llx_user update {"rowid":1} datec', 'llx_user update {"rowid":2} datec'],
    );
  });

  test('only the changed table is diffed row by row: unchanged tables never reach Node', async () => {
    await b.reset();
    await b.run(`UPDATE llx_child SET note = 'edited' WHERE rowid = 2`);
    const statements: string[] = [];
    const cs = await withClient(b.sandbox.runtime, (c) => {
      const query = c.query.bind(c) as (...args: unknown[]) => unknown;
      (c as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0] as string | { text: string };
        statements.push(typeof first === 'string' ? first : first.text);
        return query(...args);
      };
      return diffSandbox(c as ClientBase, options);
    });
    assert.equal(cs.changes.length, 1);
    const rowStatements = statements.filter((s) => /FULL OUTER JOIN|EXCEPT ALL/.test(s));
    assert.equal(rowStatements.length, 1, rowStatements.join('\n----\n'));
    assert.match(rowStatements[0], /"public"\."llx_child"/);
    assert.equal(statements.filter((s) => /hashtextextended/.test(s)).length, 1, 'one statement compares every table');
  });

  test('a new parent row and a new child row pointing at it: the child refers to the parent by placeholder', async () => {
    await b.reset();
    await b.run(`INSERT INTO llx_parent (code, label, amount) VALUES ('PNEW', 'New parent', 10);
                 INSERT INTO llx_child (fk_parent, note, qty) VALUES (currval('llx_parent_rowid_seq'), 'child of new', 1);
                 UPDATE llx_child SET fk_parent = currval('llx_parent_rowid_seq') WHERE rowid = 1;`);
    const cs = await diff();
    assert.deepEqual(cs.changes, [
      { table: 'llx_parent', op: 'insert', key: { $new: 'llx_parent#1' }, sandboxKey: { rowid: 201 }, row: { code: 'PNEW', label: 'New parent', amount: '10.00000000' } },
      { table: 'llx_child', op: 'insert', key: { $new: 'llx_child#1' }, sandboxKey: { rowid: 2001 }, row: { fk_parent: { $new: 'llx_parent#1' }, note: 'child of new', qty: 1 } },
      { table: 'llx_child', op: 'update', key: { rowid: 1 }, columns: { fk_parent: { before: 2, after: { $new: 'llx_parent#1' } } } },
    ]);
    assert.match(renderChangeSet(cs), /fk_parent: 2 -> \$new llx_parent#1/);
  });

  test('an added table, a dropped table and an added column are reported; rows compare on the common columns', async () => {
    await b.reset();
    await b.run(`DROP TABLE llx_tag; CREATE TABLE llx_added (id int PRIMARY KEY); INSERT INTO llx_added VALUES (1);
                 CREATE TABLE not_the_app_either (id int); ALTER TABLE llx_user ADD COLUMN note text;`);
    const cs = await diff();
    assert.deepEqual(cs.tables, { added: ['llx_added'], dropped: ['llx_tag'], altered: [{ table: 'llx_user', addedColumns: ['note'], droppedColumns: [] }] });
    assert.deepEqual(cs.changes, []);
    assert.match(renderChangeSet(cs), /Tables added: llx_added\nTables dropped: llx_tag\nTable altered: llx_user columns added note/);
  });

  test('values of secret columns are redacted everywhere, and never serve as natural keys', async () => {
    await b.reset();
    await b.run(`UPDATE llx_user SET api_key = 'sandbox-agent-key-777', pass_crypted = 'sandbox-hash-777' WHERE login = 'agent';
                 UPDATE llx_user SET api_key = 'rotated-admin-key-999' WHERE login = 'admin';
                 INSERT INTO llx_user (login, api_key) VALUES ('bot', 'bot-key-888');`);
    const cs = await diff();
    assert.deepEqual(changesOf(cs, 'llx_user'), [
      { table: 'llx_user', op: 'insert', key: { $new: 'llx_user#1' }, sandboxKey: { rowid: 3 }, row: { login: 'bot', entity: 1, api_key: '[redacted]', pass_crypted: null } },
      { table: 'llx_user', op: 'update', key: { rowid: 1 }, natural: { login: 'admin', entity: 1 }, columns: { api_key: { before: '[redacted]', after: '[redacted]' } } },
      {
        table: 'llx_user',
        op: 'update',
        key: { rowid: 2 },
        natural: { login: 'agent', entity: 1 },
        columns: { api_key: { before: null, after: '[redacted]' }, pass_crypted: { before: null, after: '[redacted]' } },
      },
    ]);
    const everything = changeSetToJson(cs) + renderChangeSet(cs);
    for (const secret of ['sandbox-agent-key-777', 'sandbox-hash-777', 'rotated-admin-key-999', 'bot-key-888', 'prod-admin-key-0001']) {
      assert.ok(!everything.includes(secret), `${secret} leaked`);
    }
    const unredacted = await diff({ secretColumns: /^nothing$/ });
    assert.ok(changeSetToJson(unredacted).includes('bot-key-888'), 'the secretColumns option is used');
  });

  test('a deleted row of a secret-bearing table is redacted too', async () => {
    await b.reset();
    await b.run(`DELETE FROM llx_user WHERE login = 'admin'`);
    const cs = await diff();
    assert.deepEqual(cs.changes, [
      { table: 'llx_user', op: 'delete', key: { rowid: 1 }, natural: { login: 'admin', entity: 1 }, row: { rowid: 1, login: 'admin', entity: 1, api_key: '[redacted]', pass_crypted: '[redacted]' } },
    ]);
  });

  test('a table without a primary key compares as a multiset', async () => {
    await b.reset();
    // Two equal 'red' rows: deleting one of them must show, and a second 'blue' must too.
    await b.run(`DELETE FROM llx_tag WHERE ctid = (SELECT min(ctid) FROM llx_tag WHERE label = 'red');
                 INSERT INTO llx_tag VALUES ('blue', 2), ('green', 3);`);
    const cs = await diff();
    assert.deepEqual(cs.changes, [
      { table: 'llx_tag', op: 'insert', key: { $new: 'llx_tag#1' }, sandboxKey: null, row: { label: 'blue', weight: 2 } },
      { table: 'llx_tag', op: 'insert', key: { $new: 'llx_tag#2' }, sandboxKey: null, row: { label: 'green', weight: 3 } },
      { table: 'llx_tag', op: 'delete', key: null, row: { label: 'red', weight: 1 } },
    ]);
  });

  test('names that need quoting work throughout', async () => {
    await b.reset();
    await b.run(`UPDATE "llx_odd ""quoted"" name" SET "Label" = 'uno'`);
    const cs = await diff();
    assert.deepEqual(cs.changes, [{ table: 'llx_odd "quoted" name', op: 'update', key: { 'Row Id': 1 }, columns: { Label: { before: 'one', after: 'uno' } } }]);
  });

  test('a tampered copy is refused when the manifest fingerprint is given, and a missing copy or another golden is explained', async () => {
    await b.reset();
    await b.run(`UPDATE ${b.copySchema}.llx_parent SET label = 'forged' WHERE rowid = 9`);
    await assert.rejects(diff(), /baseline copy in schema "erp_sandbox_bdd" no longer matches[\s\S]*table llx_parent/);
    const unchecked = await diff({ baselineFingerprint: undefined });
    assert.deepEqual(unchecked.changes.map((c) => `${c.table} ${c.op} ${JSON.stringify(c.key)}`), ['llx_parent update {"rowid":9}']);

    await assert.rejects(diff({ goldenSha256: 'f'.repeat(64) }), /made from the golden with sha256 [0-9a-f]{64}, expected f{64}/);
    await b.run(`DROP SCHEMA ${b.copySchema} CASCADE`);
    await assert.rejects(diff(), /no baseline copy in schema "erp_sandbox_bdd"/);
  });

  test('after a second reset the diff is empty again', async () => {
    await b.reset();
    await b.run(`INSERT INTO llx_parent (code) VALUES ('X1'); DELETE FROM llx_child WHERE rowid = 5; UPDATE ${b.copySchema}.llx_tag SET weight = 0`);
    assert.notDeepEqual((await diff({ baselineFingerprint: undefined })).changes, []);
    await b.reset();
    assert.deepEqual((await diff()).changes, []);
  });
});
