import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientBase } from 'pg';
import { withClient } from '../db/connect';
import { startThrowawaySandbox, type ThrowawaySandbox } from '../testing/throwaway-sandbox';
import { tryConnect, tryRolledBack, tryStatement } from './attempt';
import { assertCannotActAsOwner, databaseOwner, tryCreateDatabase, tryDropDatabase, withClientOutside } from './databases';
import { openDoorFor } from './open-door';
import { createOwnTable, emptyTable } from './production-changes';
import { rolePowers } from './role-powers';
import { createScratchDatabase, scratchDatabaseName } from './scratch-database';

describe('isolation probes on a production-shaped cluster', () => {
  let s: ThrowawaySandbox;
  const prodAsRuntime = () => ({ ...s.runtime, database: 'erp' });

  before(async () => {
    s = await startThrowawaySandbox();
  });
  after(async () => {
    await s?.stop();
  });

  test('tryConnect: the runtime login is refused by production with 42501, and opens the sandbox', async () => {
    const refused = await tryConnect(prodAsRuntime(), 5_000);
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.code === '42501' && refused.message.includes('permission denied for database "erp"'), JSON.stringify(refused));
    assert.ok(!refused.ok && !refused.message.includes(s.roles.runtime.password), 'no password in the message');
    assert.deepEqual(await tryConnect(s.runtime, 5_000), { ok: true });
  });

  test('tryRolledBack: an allowed change is reported as done and rolled back; a refused one carries its code', async () => {
    await withClient(s.superuser('erp'), async (client) => {
      const count = async () => Number((await client.query('SELECT count(*) AS n FROM llx_child')).rows[0].n);
      const before = await count();
      assert.deepEqual(await tryRolledBack(client, (c) => emptyTable(c, 'public', 'llx_child'), 1_000), { ok: true });
      assert.equal(await count(), before, 'rolled back');
    });
    await withClient(s.prodDump, async (client) => {
      for (const change of [(c: ClientBase) => emptyTable(c, 'public', 'llx_child'), (c: ClientBase) => createOwnTable(c, 'public', 'llx_probe')]) {
        const attempt = await tryRolledBack(client, change, 1_000);
        assert.ok(!attempt.ok && attempt.code === '42501', JSON.stringify(attempt));
      }
      assert.deepEqual(await tryStatement(client, 'SELECT 1'), { ok: true }, 'the connection is usable after a refused attempt');
    });
  });

  test('rolePowers: the runtime login holds the sandbox owner only, and acts as owner of the sandbox only', async () => {
    const powers = await withClient(s.runtime, rolePowers);
    assert.deepEqual(
      { ...powers, login: undefined },
      { login: undefined, superuser: false, createdb: false, createrole: false, replication: false, memberOf: ['erp_sandbox_role'], ownsDatabases: [], actsAsOwnerOf: ['erp-sandbox'] },
    );
  });

  test('dropping production is refused for ownership; the ownership check refuses to try where it would succeed', async () => {
    const attempt = await withClientOutside(s.runtime, 'erp', 5_000, async (client, from) => {
      assert.equal(from, 'postgres');
      await assertCannotActAsOwner(client, 'erp');
      return tryDropDatabase(client, 'erp');
    });
    assert.deepEqual(attempt, { ok: false, code: '42501', message: 'must be owner of database erp' });
    await withClient(s.runtime, (client) => assert.rejects(assertCannotActAsOwner(client, 'erp-sandbox'), /Not trying to drop "erp-sandbox": this login holds the privileges of its owner "erp_sandbox_role"/));
    await withClient(s.runtime, (client) => assert.rejects(assertCannotActAsOwner(client, 'no-such-db'), /There is no database "no-such-db"/));
  });

  test('a scratch database of the sandbox owner can be dropped by the runtime login, not created back', async () => {
    const name = scratchDatabaseName('erp-sandbox');
    const scratch = await createScratchDatabase(s.superuser('postgres'), name, 'erp_sandbox_role', 5_000);
    try {
      assert.equal(await withClient(s.runtime, (c) => databaseOwner(c, name)), 'erp_sandbox_role');
      assert.deepEqual(await withClientOutside(s.runtime, name, 5_000, (c) => tryDropDatabase(c, name)), { ok: true });
      assert.deepEqual(await withClientOutside(s.runtime, name, 5_000, (c) => tryCreateDatabase(c, name)), { ok: false, code: '42501', message: 'permission denied to create database' });
      assert.equal(await withClient(s.runtime, (c) => databaseOwner(c, name)), undefined);
    } finally {
      await scratch.remove();
      await scratch.remove();
    }
  });

  test('withClientOutside falls back to the login\'s own database when the maintenance database is closed to it', async () => {
    const asSuperuser = (sql: string) => withClient(s.superuser('postgres'), (c) => c.query(sql));
    await asSuperuser('REVOKE CONNECT ON DATABASE postgres FROM PUBLIC');
    try {
      assert.equal(await withClientOutside(s.runtime, 'erp', 5_000, async (_c, from) => from), 'erp-sandbox');
      await assert.rejects(withClientOutside(s.runtime, 'erp-sandbox', 5_000, async () => undefined), /permission denied for database "postgres"/);
    } finally {
      await asSuperuser('GRANT CONNECT ON DATABASE postgres TO PUBLIC');
    }
  });

  test('openDoorFor lets the login in, and its undo restores the privileges exactly; it never revokes a grant it did not make', async () => {
    const close = await openDoorFor(s.superuser('postgres'), 'erp', s.runtime.user, 5_000);
    assert.deepEqual(await tryConnect(prodAsRuntime(), 5_000), { ok: true });
    const again = await openDoorFor(s.superuser('postgres'), 'erp', s.runtime.user, 5_000);
    await again();
    assert.deepEqual(await tryConnect(prodAsRuntime(), 5_000), { ok: true }, 'the nested undo left the door as it found it');
    await close();
    assert.equal((await tryConnect(prodAsRuntime(), 5_000)).ok, false);
  });
});
