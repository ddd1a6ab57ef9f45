import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'pg';
import { connect } from '../db/connect';
import { compareFingerprints } from '../golden/fingerprint';
import { startTrackedSandbox, type TrackedSandbox } from './testing-sandbox';
import { fingerprintSandbox } from './verify';

/**
 * Random sequences of writes on the tracked tiny application, each followed by a fast reset (the canonical
 * one when it falls back) and a whole-sandbox verification against the baseline. Replay a failure with the
 * seed it prints: BDD_FASTRESET_SEED=<seed> (and BDD_FASTRESET_SEQUENCES=<n>, default 30).
 */

/** mulberry32: small, fast, and the same numbers for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Op {
  sql: string;
  /** Committed, it makes a fallback legitimate (DDL, truncation, tampering, or a row the fast reset cannot put back in place). */
  mayFallBack?: string;
}

/** The operations a sequence draws from, over the tables of TRACKED_APP_SQL, with their weights. */
function opsFor(rnd: () => number, tag: string): [number, () => Op][] {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const parent = () => int(1, 205);
  const child = () => int(1, 2010);
  const node = () => int(1, 105);
  let n = 0;
  const code = () => `R${tag}-${n++}`;
  return [
    [8, () => ({ sql: `INSERT INTO llx_parent (code, label, amount) VALUES ('${code()}', 'random', ${int(0, 9999) / 100})` })],
    [10, () => ({ sql: `UPDATE llx_parent SET label = 'upd ${tag}', amount = amount + 1 WHERE rowid = ${parent()}` })],
    [3, () => {
      const [a, b] = [parent(), parent()];
      return { sql: `UPDATE llx_parent SET code = '${code()}' WHERE rowid = ${a}; UPDATE llx_parent SET code = (SELECT code FROM erp_sandbox_bdd.llx_parent WHERE rowid = ${a}) WHERE rowid = ${b}` };
    }],
    [3, () => ({ sql: `DELETE FROM llx_parent WHERE rowid = ${parent()}` })], // usually refused: children point at it
    [3, () => {
      const p = parent();
      return {
        sql: `DELETE FROM llx_grandchild WHERE fk_child IN (SELECT rowid FROM llx_child WHERE fk_parent = ${p}) OR fk_parent = ${p};
              DELETE FROM llx_child WHERE fk_parent = ${p}; UPDATE llx_node SET fk_parent = NULL WHERE fk_parent = ${p};
              DELETE FROM llx_link WHERE fk_parent = ${p}; DELETE FROM llx_category_parent WHERE fk_parent = ${p}; DELETE FROM llx_parent WHERE rowid = ${p}`,
      };
    }],
    [8, () => ({ sql: `INSERT INTO llx_child (fk_parent, note, qty) VALUES (${parent()}, 'new ${tag}', ${int(0, 100) / 7})` })],
    [4, () => ({ sql: `INSERT INTO llx_parent (code) VALUES ('${code()}'); INSERT INTO llx_child (fk_parent, note) VALUES (currval('llx_parent_rowid_seq'), 'child of new')` })],
    [8, () => ({ sql: `UPDATE llx_child SET fk_parent = ${parent()}, note = NULL WHERE rowid = ${child()}` })],
    [5, () => ({ sql: `DELETE FROM llx_child WHERE rowid = ${child()}` })],
    [5, () => ({ sql: `INSERT INTO llx_grandchild (fk_child, fk_parent, label, amount) VALUES (${child()}, ${rnd() < 0.3 ? 'NULL' : parent()}, 'gc', ${int(0, 999)})` })],
    [5, () => ({ sql: `DELETE FROM llx_grandchild WHERE rowid IN (${int(1, 510)}, ${int(1, 510)})` })],
    [3, () => ({ sql: `SET CONSTRAINTS ALL DEFERRED; UPDATE llx_grandchild SET fk_parent = 999999 WHERE rowid = ${int(1, 500)}; UPDATE llx_grandchild SET fk_parent = ${parent()} WHERE fk_parent = 999999` })],
    [4, () => ({ sql: `INSERT INTO llx_node (fk_parent_node, fk_parent, name, depth) VALUES (${rnd() < 0.5 ? 'NULL' : node()}, ${parent()}, '${code()}', ${int(0, 5)})` })],
    [4, () => ({ sql: `UPDATE llx_node SET depth = depth + 1, name = '${code()}' WHERE rowid = ${node()}` })],
    [2, () => ({ sql: `DELETE FROM llx_node WHERE rowid = ${node()}` })], // cascades to llx_link; refused when it has sub-nodes
    [4, () => ({ sql: `INSERT INTO llx_link VALUES (${parent()}, ${node()}, ${int(0, 99)})` })],
    [3, () => ({ sql: `UPDATE llx_link SET weight = weight + 1 WHERE fk_parent = ${parent()}` })],
    [3, () => ({ sql: `UPDATE llx_user SET api_key = 'k-${code()}', tms = now() WHERE rowid = ${int(1, 2)}` })],
    [2, () => ({ sql: `INSERT INTO llx_user (login, api_key) VALUES ('${code()}', NULL)` })],
    [3, () => ({ sql: rnd() < 0.5 ? `INSERT INTO llx_tag VALUES ('${code()}', ${int(0, 9)})` : `DELETE FROM llx_tag WHERE ctid = (SELECT min(ctid) FROM llx_tag)` })],
    [2, () => ({ sql: `UPDATE "llx_odd ""quoted"" name" SET "Label" = '${code()}'` })],
    [4, () => ({ sql: `SELECT nextval('llx_${['parent', 'child', 'grandchild', 'audit'][int(0, 3)]}_rowid_seq') FROM generate_series(1, ${int(1, 5)})` })],
    [1, () => ({ sql: `SELECT setval('llx_audit_rowid_seq', ${int(1, 50)}, false)` })],
    [2, () => ({ sql: `INSERT INTO llx_category (label) VALUES ('${code()}'); INSERT INTO llx_category_parent VALUES (currval('llx_category_rowid_seq'), ${parent()})` })],
    [1, () => ({ sql: `UPDATE llx_category SET label = '${code()}' WHERE rowid = ${int(1, 10)}`, mayFallBack: 'an existing row of a table restored in place, with a BEFORE UPDATE trigger' })],
    [2, () => ({ sql: `INSERT INTO llx_watched (label) VALUES ('${code()}')` })],
    [1, () => ({ sql: `DELETE FROM llx_watched WHERE rowid = ${int(1, 10)}`, mayFallBack: 'its re-insert fires a trigger writing elsewhere' })],
    [1, () => ({ sql: `ALTER TABLE llx_child ADD COLUMN c_${code().replace(/-/g, '_')} integer`, mayFallBack: 'DDL' })],
    [1, () => ({ sql: `DROP TABLE llx_tag`, mayFallBack: 'DDL' })],
    [1, () => ({ sql: `CREATE TABLE llx_${code().replace(/-/g, '_').toLowerCase()} (rowid serial PRIMARY KEY)`, mayFallBack: 'DDL' })],
    [1, () => ({ sql: `TRUNCATE llx_${['tag', 'audit', 'watched'][int(0, 2)]}`, mayFallBack: 'truncation' })],
    [1, () => ({
      sql: `ALTER TABLE llx_child DISABLE TRIGGER zz_bdd_track; UPDATE llx_child SET note = 'untracked' WHERE rowid = ${child()}; ALTER TABLE llx_child ENABLE TRIGGER zz_bdd_track`,
      mayFallBack: 'tampering',
    })],
  ];
}

function pick(rnd: () => number, weighted: [number, () => Op][]): Op {
  const total = weighted.reduce((sum, [w]) => sum + w, 0);
  let r = rnd() * total;
  for (const [w, make] of weighted) {
    r -= w;
    if (r < 0) return make();
  }
  return weighted[weighted.length - 1][1]();
}

/** Runs a few transactions of a few operations each; a failing operation is rolled back to its savepoint, and some transactions roll back whole. */
async function runSequence(client: Client, rnd: () => number, tag: string): Promise<{ log: string[]; mayFallBack: string[] }> {
  const ops = opsFor(rnd, tag);
  const log: string[] = [];
  const mayFallBack: string[] = [];
  const transactions = 1 + Math.floor(rnd() * 3);
  for (let t = 0; t < transactions; t++) {
    await client.query('BEGIN');
    const committed: string[] = [];
    const count = 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < count; i++) {
      const op = pick(rnd, ops);
      await client.query('SAVEPOINT op');
      try {
        await client.query(op.sql);
        await client.query('RELEASE SAVEPOINT op');
        log.push(`ok   ${op.sql.replace(/\s+/g, ' ')}`);
        if (op.mayFallBack) committed.push(op.mayFallBack);
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT op');
        log.push(`fail ${op.sql.replace(/\s+/g, ' ')} (${(error as Error).message})`);
      }
    }
    if (rnd() < 0.15) {
      await client.query('ROLLBACK');
      log.push('-- rolled back');
    } else {
      try {
        await client.query('COMMIT');
        mayFallBack.push(...committed);
      } catch (error) {
        // A deferred foreign key checked at commit: the whole transaction is rolled back.
        await client.query('ROLLBACK').catch(() => undefined);
        log.push(`-- commit failed: ${(error as Error).message}`);
      }
    }
  }
  return { log, mayFallBack };
}

describe('fast reset, randomized', () => {
  let t: TrackedSandbox;
  let client: Client;
  const seed = Number(process.env.BDD_FASTRESET_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const sequences = Number(process.env.BDD_FASTRESET_SEQUENCES ?? 30);

  before(async () => {
    t = await startTrackedSandbox();
    client = await connect(t.sandbox.runtime);
  });
  after(async () => {
    await client?.end();
    await t?.stop();
  });

  test(`${sequences} random sequences, each followed by a reset and a whole-sandbox verification (BDD_FASTRESET_SEED=${seed})`, async () => {
    console.log(`randomized fast reset: seed ${seed}, ${sequences} sequences (replay: BDD_FASTRESET_SEED=${seed} BDD_FASTRESET_SEQUENCES=${sequences})`);
    const rnd = prng(seed);
    const tally = { fast: 0, canonical: 0 };
    for (let s = 0; s < sequences; s++) {
      const { log, mayFallBack } = await runSequence(client, rnd, `${s}`);
      const replay = `seed ${seed}, sequence ${s}:\n  ${log.join('\n  ')}`;
      const result = await t.fast(client);
      if (result.fallback !== undefined) {
        assert.ok(mayFallBack.length, `the fast reset fell back after plain data changes (${result.fallback}); ${replay}`);
        tally.canonical++;
        await t.canonical();
      } else {
        assert.deepEqual(mayFallBack, [], `the fast reset did not fall back after: ${mayFallBack.join(', ')}; ${replay}`);
        tally.fast++;
      }
      const differences = compareFingerprints(t.baseline, await fingerprintSandbox(client, t.sandbox.scope));
      assert.deepEqual(differences, [], `after the ${result.fallback === undefined ? 'fast' : 'canonical'} reset the sandbox differs from the baseline; ${replay}`);
    }
    console.log(`randomized fast reset: ${tally.fast} fast, ${tally.canonical} canonical (fallbacks), all verified equal to the baseline`);
  });
});
