import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureSql } from '../../fixtures';
import { agentUserSql, newAgentApiKey, SqlAgent } from '../agent';
import { connect, withClient } from '../db/connect';
import { quoteLiteral } from '../db/ident';
import { canonicalReset } from '../reset/canonical-reset';
import { startSeededSandbox, type SeededSandbox } from '../testing/throwaway-sandbox';
import { ConnectionLostError, explainConnectionLost, isConnectionLost } from '../db/connection-lost';

const LOGIN = 'ai_agent_sandbox';

describe('a database connection dropped mid-scenario', () => {
  let seeded: SeededSandbox;
  const apiKey = newAgentApiKey();

  before(async () => {
    seeded = await startSeededSandbox({ appSql: fixtureSql('small'), extraPostReset: () => [agentUserSql({ appSchema: 'public', login: LOGIN, apiKey })], lockTimeoutMs: 5000 });
  });
  after(async () => {
    await seeded?.stop();
  });

  const runtime = () => seeded.sandbox.runtime;
  /** Ends, from another session of the runtime role, every other session of that role on the sandbox. */
  const terminateOthers = () =>
    withClient(runtime(), async (c) => {
      const { rows } = await c.query<{ pid: number; ended: boolean }>(
        `SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE usename = current_user AND datname = current_database() AND pid <> pg_backend_pid()`,
      );
      return rows;
    });

  test('a statement running when its session is terminated fails clearly; a fresh connection then works', async () => {
    const victim = await connect(runtime());
    try {
      const { rows: [{ pid }] } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const running = victim.query('SELECT pg_sleep(30)').then(() => assert.fail('survived'), (e: Error) => e);
      await new Promise((r) => setTimeout(r, 200));
      // Same-role sessions may be ended by the runtime role itself, without any superuser.
      const ended = await withClient(runtime(), async (c) => (await c.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid])).rows[0].ok);
      assert.equal(ended, true);
      const error = await running;
      assert.ok(isConnectionLost(error), `${(error as { code?: string }).code}: ${error.message}`);
      const explained = explainConnectionLost(error, 'the step "the agent registers a customer"');
      assert.ok(explained instanceof ConnectionLostError);
      assert.match(explained.message, /The database connection was lost during the step "the agent registers a customer": terminating connection due to administrator command \(57P01\)\. The server ended the session/);
      assert.match(explained.message, /This scenario fails here; the next one opens a fresh connection/);
      // The dead client refuses further work with the same kind of error.
      const again = await victim.query('SELECT 1').then(() => assert.fail('a terminated client answered'), (e: Error) => e);
      assert.ok(isConnectionLost(again), again.message);
    } finally {
      await victim.end().catch(() => undefined);
    }
    assert.equal(await withClient(runtime(), async (c) => (await c.query<{ one: number }>('SELECT 1 AS one')).rows[0].one), 1);
  });

  test('the agent\'s connection dropped between two actions fails that scenario; the next scenario passes', async () => {
    await canonicalReset(seeded.target);
    const scenario1 = new SqlAgent({ db: runtime(), appSchema: 'public', login: LOGIN });
    try {
      const { id } = await scenario1.registerCustomer({ name: 'Atelier Zoé & Fils' });
      assert.ok(id > 0);
      const ended = await terminateOthers();
      assert.equal(ended.length, 1, 'the agent\'s one session was ended');
      const error = await scenario1.createProduct({ ref: 'P-DROP', label: 'Dropped', price: 10, vatRate: 20 }).then(() => assert.fail('acted on a dead connection'), (e: Error) => e);
      const explained = explainConnectionLost(error, 'the agent\'s "create a product"');
      assert.ok(explained instanceof ConnectionLostError, `not recognised as a lost connection: ${error.message}`);
      process.stdout.write(`# dropped connection: driver said "${error.message}"; reported as: ${explained.message.slice(0, 160)}...\n`);
    } finally {
      await scenario1.close();
    }
    // The next scenario: reset, a fresh agent, its actions pass.
    await canonicalReset(seeded.target);
    const scenario2 = new SqlAgent({ db: runtime(), appSchema: 'public', login: LOGIN });
    try {
      const { id } = await scenario2.createProduct({ ref: 'P-NEXT', label: 'Next scenario', price: 10, vatRate: 20 });
      assert.ok(id > 0);
    } finally {
      await scenario2.close();
    }
  });

  test('the runtime role may end only its own role\'s sessions: not the superuser\'s, not the Dolibarr login\'s', async () => {
    await withClient(seeded.sandbox.superuser('postgres'), (c) =>
      c.query(`DROP ROLE IF EXISTS dolibarr_drop_test; CREATE ROLE dolibarr_drop_test LOGIN PASSWORD ${quoteLiteral('drop-test-pw-123')} IN ROLE ${seeded.sandbox.roles.appRole}`),
    );
    const su = await connect(seeded.sandbox.superuser('erp-sandbox'));
    const dolibarr = await connect({ ...runtime(), user: 'dolibarr_drop_test', password: 'drop-test-pw-123' });
    try {
      const pidOf = async (c: typeof su) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const [suPid, dolibarrPid] = [await pidOf(su), await pidOf(dolibarr)];
      await withClient(runtime(), async (c) => {
        await assert.rejects(c.query('SELECT pg_terminate_backend($1)', [suPid]), /permission denied|must be a superuser/);
        await assert.rejects(c.query('SELECT pg_terminate_backend($1)', [dolibarrPid]), /permission denied|must be a member of the role/);
      });
      assert.equal(await pidOf(dolibarr), dolibarrPid, 'the Dolibarr session still runs');
    } finally {
      await su.end();
      await dolibarr.end();
    }
  });

  test('errors that are not a lost connection pass through unchanged', () => {
    const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    assert.equal(explainConnectionLost(syntax, 'x'), syntax);
    assert.equal(isConnectionLost(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isConnectionLost(new Error('Client has encountered a connection error and is not queryable')), true);
  });
});
