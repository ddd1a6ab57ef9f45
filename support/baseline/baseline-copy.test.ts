import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientBase } from 'pg';
import { withClient } from '../db/connect';
import { compareFingerprints, fingerprintDatabase } from '../golden/fingerprint';
import { fingerprintsOf } from '../golden/manifest';
import { assertBaselineCopyMatches, baselineCopySql } from './baseline-copy';
import { readBaselineMeta } from './copy-meta';
import { startBaselineSandbox, type BaselineSandbox } from './testing-sandbox';

describe('baselineCopySql (the SQL alone)', () => {
  const options = { appSchema: 'public', tablePattern: 'llx\\_%', copySchema: 'erp_sandbox_bdd' };

  test('refuses to copy into the application schema, and a copy schema name that is not plain', () => {
    assert.throws(() => baselineCopySql({ ...options, copySchema: 'public' }), /must not be the application schema/);
    assert.throws(() => baselineCopySql({ ...options, copySchema: 'bdd; DROP' }), /not a plain PostgreSQL name/);
  });

  test('discovers tables at run time and quotes every identifier with %I', () => {
    const sql = baselineCopySql(options);
    assert.match(sql, /CREATE TABLE %I\.%I AS TABLE %I\.%I/);
    assert.match(sql, /ADD PRIMARY KEY \(%s\)/);
    assert.doesNotMatch(sql, /llx_parent|llx_child/);
    assert.match(sql, /table_pattern constant text := 'llx\\_%'/);
  });
});

describe('the baseline copy on a real PostgreSQL', () => {
  let b: BaselineSandbox;
  const scope = { schema: 'public', tablePattern: 'llx\\_%' };
  const asRuntime = <T>(work: (c: ClientBase) => Promise<T>) => withClient(b.sandbox.runtime, work);
  const asSuperuser = (sql: string) => withClient(b.sandbox.superuser('erp-sandbox'), (c) => c.query(sql));
  const assertCopyMatches = () => asRuntime((c) => assertBaselineCopyMatches(c, scope, b.copySchema, b.golden.manifest!.data));

  before(async () => {
    b = await startBaselineSandbox();
  });
  after(async () => {
    await b?.stop();
  });

  test('the reset makes a copy of every application table, with the same primary keys, owned by the sandbox owner', async () => {
    await b.reset();
    const keys = (schema: string) =>
      asRuntime(async (c) => {
        const { rows } = await c.query<{ relname: string; key: string | null }>(
          `SELECT c.relname, (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_index i
                                CROSS JOIN unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                               WHERE i.indrelid = c.oid AND i.indisprimary) AS key
             FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') AND c.relname LIKE 'llx\\_%' ORDER BY 1`,
          [schema],
        );
        return rows;
      });
    const copied = await keys(b.copySchema);
    assert.deepEqual(copied, await keys('public'));
    assert.deepEqual(
      copied.map((r) => `${r.relname}: ${r.key}`),
      ['llx_child: rowid', 'llx_odd "quoted" name: Row Id', 'llx_parent: rowid', 'llx_tag: null', 'llx_user: rowid'],
    );
    const owners = await asRuntime((c) =>
      c.query<{ owner: string }>(
        `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = $1::text::regnamespace
          UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1::text`,
        [b.copySchema],
      ),
    );
    assert.deepEqual(owners.rows.map((r) => r.owner), ['erp_sandbox_role']);
    const meta = await asRuntime((c) => readBaselineMeta(c, b.copySchema));
    assert.equal(meta.appSchema, 'public');
    assert.equal(meta.tablePattern, 'llx\\_%');
    assert.equal(meta.goldenSha256, b.golden.manifest!.golden.sha256);
    assert.equal(meta.tables, 5);
    assert.equal(meta.madeBy, 'erp_sandbox_role');
  });

  test('the Dolibarr application role cannot read or write the copy', async () => {
    await b.reset();
    const { rows: [privileges] } = await asRuntime((c) =>
      c.query<{ usage: boolean; write: boolean }>(
        `SELECT has_schema_privilege($1, $2, 'USAGE') AS usage, has_table_privilege($1, format('%I.llx_user', $2), 'SELECT, UPDATE') AS write`,
        [b.sandbox.roles.appRole, b.copySchema],
      ),
    );
    assert.deepEqual(privileges, { usage: false, write: false });
  });

  test('the copy matches the manifest, and the application scope still matches the golden (the copy is outside it)', async () => {
    await b.reset();
    await assertCopyMatches();
    const app = await asRuntime((c) => fingerprintDatabase(c, scope));
    assert.deepEqual(compareFingerprints(fingerprintsOf(b.golden.manifest!), app), []);
  });

  test('tampering with the copy is detected: an updated row, a deleted row, a dropped table', async () => {
    await b.reset();
    await b.run(`UPDATE ${b.copySchema}.llx_parent SET label = 'forged' WHERE rowid = 3`);
    await assert.rejects(assertCopyMatches(), /no longer matches[\s\S]*table llx_parent: expected 200 rows, hash [-\d]+:[-\d]+, found 200 rows, hash/);

    await b.reset();
    await b.run(`DELETE FROM ${b.copySchema}.llx_child WHERE rowid = 10`);
    await assert.rejects(assertCopyMatches(), /table llx_child: expected 2000 rows, hash [-\d:]+, found 1999 rows/);

    await b.reset();
    await b.run(`DROP TABLE ${b.copySchema}.llx_tag`);
    await assert.rejects(assertCopyMatches(), /table llx_tag is missing from the copy/);

    await b.reset();
    await b.run(`CREATE TABLE ${b.copySchema}.llx_extra (id int)`);
    await assert.rejects(assertCopyMatches(), /table llx_extra is in the copy but not in the golden/);
  });

  test('a copy that is not there is explained', async () => {
    await b.reset();
    await b.run(`DROP SCHEMA ${b.copySchema} CASCADE`);
    await assert.rejects(assertCopyMatches(), /no baseline copy in schema "erp_sandbox_bdd"/);
  });

  test('a second canonical reset recreates the copy, undoing writes to it', async () => {
    await b.reset();
    const first = await asRuntime((c) => readBaselineMeta(c, b.copySchema));
    await b.run(`UPDATE ${b.copySchema}.llx_user SET login = 'forged'; DELETE FROM ${b.copySchema}.llx_tag; UPDATE llx_parent SET label = 'changed'`);
    await assert.rejects(assertCopyMatches());
    await b.reset();
    const second = await asRuntime((c) => readBaselineMeta(c, b.copySchema));
    assert.ok(second.madeAt > first.madeAt, `expected a new copy: first made ${first.madeAt}, second ${second.madeAt}`);
    await assertCopyMatches();
  });

  test("a schema of that name that is not the harness's stops the reset, and the sandbox stays as it was", async () => {
    await b.reset();
    await b.run(`UPDATE llx_parent SET label = 'kept' WHERE rowid = 1`);
    // The next DROP OWNED drops the tables in it, not a schema someone else owns.
    await asSuperuser(`ALTER SCHEMA ${b.copySchema} OWNER TO postgres`);
    try {
      await assert.rejects(b.reset(), /baseline copy schema "erp_sandbox_bdd" already exists, owned by postgres/);
      const { rows } = await asRuntime((c) => c.query<{ label: string }>('SELECT label FROM llx_parent WHERE rowid = 1'));
      assert.equal(rows[0].label, 'kept');
    } finally {
      await asSuperuser(`DROP SCHEMA ${b.copySchema} CASCADE`);
    }
    await b.reset();
    await assertCopyMatches();
  });
});
