import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'pg';
import { connect, withClient } from '../db/connect';
import { quoteLiteral } from '../db/ident';
import { registerSecret } from '../db/redact';
import { compareFingerprints, fingerprintDatabase } from '../golden/fingerprint';
import { explainLockTimeout, isLockTimeout, ResetBlockedError } from '../lock/blockers';
import { ToolError } from '../pgtools/run';
import { canonicalReset } from '../reset/canonical-reset';
import { startSeededSandbox, type SeededSandbox } from '../testing/throwaway-sandbox';

const LOCK_TIMEOUT_MS = 700;
const DOLIBARR = { user: 'dolibarr_app', password: 'dolibarr-app-test-pw-1', applicationName: 'Dolibarr sandbox (php-fpm)' };

describe('a reset blocked by another session\'s locks', () => {
  let seeded: SeededSandbox;
  const open: Client[] = [];

  before(async () => {
    seeded = await startSeededSandbox({ lockTimeoutMs: LOCK_TIMEOUT_MS });
    registerSecret(DOLIBARR.password);
    // The sandbox's Dolibarr: a login of its own that reads and writes through the application role.
    await withClient(seeded.sandbox.superuser('postgres'), (c) =>
      c.query(`CREATE ROLE ${DOLIBARR.user} LOGIN PASSWORD ${quoteLiteral(DOLIBARR.password)} IN ROLE ${seeded.sandbox.roles.appRole}`),
    );
  });
  after(async () => {
    for (const c of open) await c.end().catch(() => undefined);
    await seeded?.stop();
  });

  const state = () => withClient(seeded.sandbox.runtime, (c) => fingerprintDatabase(c, seeded.sandbox.scope));
  const reset = () => canonicalReset(seeded.target).catch(async (error: unknown) => {
    throw await explainLockTimeout(error, seeded.target.runtime, { lockTimeoutMs: seeded.target.lockTimeoutMs });
  });

  test('gives up after the lock timeout, changes nothing, and names the blocking sessions', async () => {
    await reset();
    await withClient(seeded.sandbox.runtime, (c) => c.query(`UPDATE llx_child SET note = 'agent was here' WHERE rowid = 5`));
    const beforeState = await state();

    // A live Dolibarr request inside a transaction, holding a row lock (and so a table lock).
    const dolibarr = await connect({ ...seeded.sandbox.runtime, user: DOLIBARR.user, password: DOLIBARR.password });
    open.push(dolibarr);
    await dolibarr.query(`SET application_name = ${quoteLiteral(DOLIBARR.applicationName)}`);
    await dolibarr.query(`BEGIN; SELECT * FROM llx_parent WHERE rowid = 1 FOR UPDATE`);
    const { rows: [{ pid: dolibarrPid }] } = await dolibarr.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // A psql left open in a transaction by someone with the runtime credentials: its state is visible to the reset's role.
    const psql = await connect(seeded.sandbox.runtime);
    open.push(psql);
    await psql.query(`SET application_name = 'psql'; BEGIN; LOCK TABLE llx_child IN ACCESS SHARE MODE`);
    const { rows: [{ pid: psqlPid }] } = await psql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');

    const started = performance.now();
    const error = await reset().then(() => assert.fail('the reset went through the locks'), (e: Error) => e).finally(async () => {
      // Either way, the transactions end here; once they have, the reset goes through (below).
      await dolibarr.query('ROLLBACK');
      await psql.query('ROLLBACK');
    });
    const elapsed = performance.now() - started;
    assert.ok(error instanceof ResetBlockedError, String(error));
    assert.ok(elapsed >= LOCK_TIMEOUT_MS && elapsed < 3 * LOCK_TIMEOUT_MS + 2000, `gave up after ${Math.round(elapsed)} ms for a ${LOCK_TIMEOUT_MS} ms lock timeout`);
    const m = error.message;
    assert.match(m, new RegExp(`gave up after waiting ${LOCK_TIMEOUT_MS} ms \\(BDD_LOCK_TIMEOUT_MS\\)[\\s\\S]*rolled back, so the sandbox is exactly as it was`));
    assert.match(m, new RegExp(`pid ${dolibarrPid}, application_name "${DOLIBARR.applicationName.replace(/[()]/g, '\\$&')}", user ${DOLIBARR.user}, state not visible to ${seeded.sandbox.runtime.user}; holding public\\.llx_parent \\(RowShareLock\\)\n`));
    assert.match(m, new RegExp(`pid ${psqlPid}, application_name "psql", user ${seeded.sandbox.runtime.user}, from 127\\.0\\.0\\.1, state "idle in transaction", transaction open since \\d{4}-[^,]+, query started \\d{4}-[^;]+; holding public\\.llx_child \\(AccessShareLock\\)`));
    assert.match(m, new RegExp(`pg_terminate_backend\\(pid\\) FROM unnest\\(ARRAY\\[(${dolibarrPid}, ${psqlPid}|${psqlPid}, ${dolibarrPid})\\]\\)`));
    assert.doesNotMatch(m, new RegExp(DOLIBARR.password));
    process.stdout.write(`# blocked reset: ${m.split('\n').slice(0, 4).join(' | ')}\n`);
    assert.deepEqual(compareFingerprints(beforeState, await state()), [], 'the blocked reset changed nothing');

    await reset();
    await withClient(seeded.sandbox.runtime, async (c) => assert.equal((await c.query(`SELECT note FROM llx_child WHERE rowid = 5`)).rows[0].note, 'line 5'));
  });

  test('a blocker that is gone by the time the reset gives up is reported as such', async () => {
    const timeout = new ToolError('psql', 3, 'psql:<stdin>:2: ERROR:  canceling statement due to lock timeout');
    assert.ok(isLockTimeout(timeout));
    const explained = await explainLockTimeout(timeout, seeded.target.runtime, { lockTimeoutMs: 700 });
    assert.ok(explained instanceof ResetBlockedError);
    assert.match(explained.message, /none any more: the blocking transaction ended after the reset gave up; rerunning should succeed/);
    assert.equal(explained.cause, timeout);
  });

  test('any other failure is passed through unchanged', async () => {
    const other = new ToolError('psql', 3, 'psql:<stdin>:9: ERROR:  relation "llx_x" does not exist');
    assert.equal(await explainLockTimeout(other, seeded.target.runtime, { lockTimeoutMs: 700 }), other);
    assert.equal(isLockTimeout(Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' })), true);
  });
});
