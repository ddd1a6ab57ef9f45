import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'pg';
import { connect, withClient } from '../db/connect';
import { startTrackedSandbox, type TrackedSandbox } from './testing-sandbox';
import { BaselineVerifier } from './verify';

describe('the whole-sandbox verification', () => {
  let t: TrackedSandbox;
  let client: Client;
  // What the tracking cannot see: a superuser writing with triggers off (replica mode). Only the verification can catch it.
  const behindTheTrackingsBack = (sql: string) => withClient(t.sandbox.superuser('erp-sandbox'), (c) => c.query(`SET session_replication_role = replica; ${sql}`));

  before(async () => {
    t = await startTrackedSandbox();
    client = await connect(t.sandbox.runtime);
  });
  after(async () => {
    await client?.end();
    await t?.stop();
  });

  test('hashes everything first, then only the tables touched since it last proved the sandbox equal', async () => {
    const verifier = new BaselineVerifier(t.sandbox.scope, () => t.baseline);
    const tables = Object.keys(t.baseline.data.tables).length;
    const first = await verifier.verify(client);
    assert.deepEqual([first.differences, first.hashed, first.proven], [[], tables, 0]);
    const again = await verifier.verify(client);
    assert.deepEqual([again.differences, again.hashed, again.proven], [[], 0, tables]);

    await t.run(`UPDATE llx_parent SET label = 'x' WHERE rowid = 2; DELETE FROM llx_grandchild WHERE rowid = 4`);
    const dirty = await verifier.verify(client);
    assert.deepEqual(dirty.differences.map((d) => d.what), ['table llx_grandchild', 'table llx_parent']);
    assert.equal(dirty.hashed, 2);
    assert.equal((await t.fast(client)).fallback, undefined);
    const restored = await verifier.verify(client);
    assert.deepEqual([restored.differences, restored.hashed], [[], 2]);
    assert.equal((await verifier.verify(client)).hashed, 0);
  });

  test('catches what the tracking cannot see: rows changed or deleted with triggers off', async () => {
    const verifier = new BaselineVerifier(t.sandbox.scope, () => t.baseline);
    assert.deepEqual((await verifier.verify(client)).differences, []);
    await behindTheTrackingsBack(`UPDATE llx_child SET note = 'unseen' WHERE rowid = 12`);
    assert.equal((await t.fast(client)).fallback, undefined, 'the tracking saw nothing');
    assert.deepEqual((await verifier.verify(client)).differences.map((d) => d.what), ['table llx_child']);
    await t.canonical();
    assert.deepEqual((await verifier.verify(client)).differences, []);

    // A deletion leaves no newer row version: the row count gives it away.
    await behindTheTrackingsBack(`DELETE FROM llx_link WHERE fk_parent = 7`);
    const found = await verifier.verify(client);
    assert.deepEqual(found.differences.map((d) => d.what), ['table llx_link']);
    assert.equal(found.hashed, 1);
    await t.canonical();
  });

  test('a canonical reset rewrites every row: the next verification hashes every table that has rows', async () => {
    const verifier = new BaselineVerifier(t.sandbox.scope, () => t.baseline);
    await verifier.verify(client);
    await t.canonical();
    const after = await verifier.verify(client);
    const empty = Object.values(t.baseline.data.tables).filter((f) => f.rows === 0).length;
    assert.ok(empty > 0, 'the tiny application has an empty table (llx_audit)');
    assert.deepEqual([after.differences, after.proven], [[], empty]);
  });
});
