import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogSummarySql } from './catalog-snapshot';
import { restoreCheckSql, restoreSql, type TableToRestore } from './restore-sql';
import { trackingSql } from './tracking-sql';

const schemas = { appSchema: 'public', copySchema: 'erp_sandbox_bdd', trackSchema: 'erp_sandbox_bdd_track' };
const table = (name: string, extra: Partial<TableToRestore> = {}): TableToRestore => ({
  table: name,
  keyColumns: ['rowid'],
  insertColumns: ['rowid', 'label'],
  updateColumns: ['label'],
  updateInPlace: false,
  whole: false,
  ...extra,
});

describe('the fast reset SQL (the SQL alone)', () => {
  test('nothing tracked: no restore statement', () => {
    assert.equal(restoreSql(schemas, []), null);
  });

  test('one statement: every delete feeds the gate that every insert waits for', () => {
    const sql = restoreSql(schemas, [table('llx_societe'), table('llx_facture')])!;
    assert.equal(sql.match(/^WITH /gm)?.length, 1);
    assert.match(sql, /gate AS \(SELECT \(SELECT count\(\*\) FROM d0\) \+ \(SELECT count\(\*\) FROM d1\) AS n\)/);
    assert.equal(sql.match(/\(SELECT n FROM gate\) IS NOT NULL/g)?.length, 2);
    assert.ok(sql.indexOf('gate AS') < sql.indexOf('i0 AS'), 'inserts come after the gate');
    assert.match(sql, /DELETE FROM "public"\."llx_societe" x USING k0 WHERE x\."rowid" = k0\."rowid"/);
    assert.match(sql, /INSERT INTO "public"\."llx_societe" \("rowid", "label"\) OVERRIDING SYSTEM VALUE SELECT b\."rowid", b\."label" FROM "erp_sandbox_bdd"\."llx_societe" b/);
  });

  test('a table referenced by a cascading key is updated in place where the row exists on both sides', () => {
    const sql = restoreSql(schemas, [table('llx_node', { updateInPlace: true })])!;
    assert.match(sql, /DELETE FROM "public"\."llx_node" x USING k0 WHERE .* AND NOT EXISTS \(SELECT FROM "erp_sandbox_bdd"\."llx_node" b/);
    assert.match(sql, /UPDATE "public"\."llx_node" x SET \("label"\) = ROW\(b\."label"\)/);
    assert.match(sql, /WHERE NOT EXISTS \(SELECT FROM "public"\."llx_node" x WHERE x\."rowid" = b\."rowid"\)/);
  });

  test('a table without a key is restored whole; names that need quoting stay quoted', () => {
    const sql = restoreSql(schemas, [table('llx_odd "quoted" name', { keyColumns: [], whole: true, insertColumns: ['Row Id'] })])!;
    assert.match(sql, /DELETE FROM "public"\."llx_odd ""quoted"" name" x RETURNING 1/);
    assert.match(sql, /SELECT b\."Row Id" FROM "erp_sandbox_bdd"\."llx_odd ""quoted"" name" b WHERE/);
    const check = restoreCheckSql(schemas, [table("l'x", { keyColumns: [], whole: true })]);
    assert.match(check, /SELECT 'l''x', 'rows differ from the copy'/);
  });

  test('the tracking SQL discovers tables at run time, and stores only the token hash', () => {
    const token = 'run-token-0123456789-abcdef';
    const sql = trackingSql({ appSchema: 'public', tablePattern: 'llx\\_%', copySchema: 'erp_sandbox_bdd', runToken: token });
    assert.doesNotMatch(sql, /llx_societe/);
    assert.ok(!sql.includes(token), 'the token itself is never written into the database');
    assert.match(sql, /CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I\.%I FOR EACH ROW/);
    assert.match(sql, /AFTER TRUNCATE/);
    assert.ok(sql.lastIndexOf(catalogSummarySql(schemas).slice(0, 200)) > sql.lastIndexOf('CREATE TRIGGER'), 'the catalog snapshot is taken last');
  });

  test('the tracking SQL refuses schemas that coincide and a weak token', () => {
    const options = { appSchema: 'public', tablePattern: 'llx\\_%', copySchema: 'erp_sandbox_bdd', runToken: 'run-token-0123456789' };
    assert.throws(() => trackingSql({ ...options, trackSchema: 'public' }), /must differ/);
    assert.throws(() => trackingSql({ ...options, trackSchema: 'bdd; DROP' }), /not a plain PostgreSQL name/);
    assert.throws(() => trackingSql({ ...options, runToken: 'short' }), /run token/);
  });
});
