import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { fixtureSql } from '../../fixtures';
import { startDolibarrStandIn, type DolibarrStandIn } from '../../test/dolibarr-stand-in';
import { withClient, type PgConnection } from '../db/connect';
import { qualified } from '../db/ident';
import { DolibarrApiError, DolibarrClient } from '../dolibarr';
import { compareFingerprints, fingerprintDatabase } from '../golden/fingerprint';
import type { Golden } from '../golden/golden';
import { canonicalReset, type ResetTarget } from '../reset/canonical-reset';
import { startSeededSandbox, type SeededSandbox, type ThrowawaySandbox } from '../testing/throwaway-sandbox';
import { AGENT_USER_STAMP, agentUserSql, ApiAgent, DEFAULT_AGENT_LOGIN, DolibarrRefusal, isAgentUserFootprint, newAgentApiKey, SqlAgent, type AgentActions } from '.';
import { fingerprintsOf } from '../golden/manifest';

// Columns Dolibarr fills with the clock: they differ between two runs of the same actions.
const VOLATILE = ['tms', 'datec', 'date_creation', 'date_valid', 'import_key', 'date_price'];
const LOGIN = DEFAULT_AGENT_LOGIN;

interface Outcome {
  customer: number;
  product: number;
  invoice: number;
  line: number;
  ref: string;
  spare: number;
}

/** The same business sequence, whatever the path: every AgentActions operation at least once. */
async function workDay(agent: AgentActions): Promise<Outcome> {
  const { id: customer } = await agent.registerCustomer({ name: "Café de l'Étoile", email: 'commandes@cafe-etoile.example', town: 'Paris', countryCode: 'FR' });
  const { id: product } = await agent.createProduct({ ref: 'AGT-ESPRESSO', label: 'Machine à espresso « Étoile »', price: 249, vatRate: 20 });
  await agent.changeProductPrice(product, 259);
  const { id: invoice } = await agent.createInvoice({ customerId: customer, date: '2025-01-15' });
  const { id: line } = await agent.addInvoiceLine(invoice, { productId: product, quantity: 3, unitPrice: 259, vatRate: 20, description: 'Machine à espresso' });
  const { ref } = await agent.validateInvoice(invoice);
  await agent.renameCustomer(customer, "Café de l'Étoile SARL");
  const { id: spare } = await agent.createProduct({ ref: 'AGT-SPARE', label: 'Pièce détachée', price: 12.5, vatRate: 20 });
  await agent.deleteProduct(spare);
  return { customer, product, invoice, line, ref, spare };
}

type State = Record<string, unknown>;

/** Every application table's rows without the volatile columns, and every sequence. */
function businessState(conn: PgConnection): Promise<State> {
  return withClient(conn, async (c) => {
    const state: State = {};
    const { rows: tables } = await c.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname LIKE 'llx\\_%' ORDER BY 1`,
    );
    for (const { name } of tables) {
      const { rows: [row] } = await c.query(
        `SELECT coalesce(jsonb_agg(r ORDER BY r::text), '[]'::jsonb) AS rows FROM (SELECT to_jsonb(t) - $1::text[] AS r FROM ${qualified('public', name)} t) s`,
        [VOLATILE],
      );
      state[name] = row.rows;
    }
    const { rows: sequences } = await c.query(`SELECT sequencename, last_value FROM pg_catalog.pg_sequences WHERE schemaname = 'public' ORDER BY 1`);
    state['(sequences)'] = sequences;
    return state;
  });
}

/** Names what differs, table by table, with the first differing row of each: readable when the paths diverge. */
function stateDifferences(a: State, b: State): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const left = JSON.stringify(a[key]);
    const right = JSON.stringify(b[key]);
    if (left === right) continue;
    const rowsA = (a[key] ?? []) as unknown[];
    const rowsB = (b[key] ?? []) as unknown[];
    const index = rowsA.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(rowsB[i]));
    out.push(`${key}: ${JSON.stringify(rowsA[index])} <> ${JSON.stringify(rowsB[index])}`);
  }
  return out;
}

async function refusalOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail('expected the action to be refused');
}

describe('the agent in the Dolibarr sandbox', () => {
  let seeded: SeededSandbox;
  let sandbox: ThrowawaySandbox;
  let golden: Golden;
  let target: ResetTarget;
  let standIn: DolibarrStandIn;
  const apiKey = newAgentApiKey();
  const query = <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    withClient(sandbox.runtime, async (c) => (await c.query<T>(sql, params)).rows);
  const agentRow = async () => (await query(`SELECT * FROM public.llx_user WHERE login = $1`, [LOGIN]))[0];
  const sqlAgent = () => new SqlAgent({ db: sandbox.runtime, appSchema: 'public', login: LOGIN });
  const apiAgent = (key = apiKey) => new ApiAgent({ baseUrl: standIn.baseUrl, apiKey: key, retries: 0 });
  const reset = () => canonicalReset(target);

  before(async () => {
    seeded = await startSeededSandbox({ appSql: fixtureSql('small'), extraPostReset: () => [agentUserSql({ appSchema: 'public', login: LOGIN, apiKey })], lockTimeoutMs: 5000 });
    ({ sandbox, golden, target } = seeded);
    standIn = await startDolibarrStandIn({ db: sandbox.runtime, appSchema: 'public' });
  });
  after(async () => {
    await standIn?.stop();
    await seeded?.stop();
  });

  test('after every reset the agent user exists with this run\'s key, active, not an admin, and the same row each time', async () => {
    await reset();
    const first = await agentRow();
    assert.ok(first, `expected a llx_user row with login ${LOGIN}`);
    assert.equal(first.api_key, apiKey);
    assert.equal(first.admin, 0);
    assert.equal(first.statut, 1);
    assert.equal(first.entity, 1);
    assert.equal(first.fk_soc, null);
    assert.equal(first.pass_crypted, null);
    assert.equal(first.rowid, 7, 'the fixture has users 1-6: the agent takes the next id of the sequence');
    const fingerprint = await withClient(sandbox.runtime, (c) => fingerprintDatabase(c, sandbox.scope));
    const fromGolden = compareFingerprints(fingerprintsOf(golden.manifest!), fingerprint).map((d) => d.what);
    assert.deepEqual(fromGolden, ['table llx_user', 'sequence llx_user_rowid_seq']);
    assert.ok(fromGolden.every(isAgentUserFootprint));

    await withClient(sandbox.runtime, (c) => c.query(`UPDATE public.llx_user SET admin = 1, api_key = 'stolen-or-stale-key-123' WHERE login = $1`, [LOGIN]));
    await reset();
    assert.deepEqual(await agentRow(), first);
    const again = await withClient(sandbox.runtime, (c) => fingerprintDatabase(c, sandbox.scope));
    assert.deepEqual(compareFingerprints(fingerprint, again), [], 'two resets must leave the same baseline');
  });

  test('a user of that login already in the golden is taken over: new key, no admin, no password, triggers left as they were', async () => {
    await reset();
    await withClient(sandbox.runtime, (c) => c.query(`UPDATE public.llx_user SET admin = 1, pass_crypted = 'x', api_key = 'old-key-0123456789' WHERE login = $1`, [LOGIN]));
    const { rowid } = await agentRow();
    const otherKey = newAgentApiKey();
    await withClient(sandbox.runtime, (c) => c.query(agentUserSql({ appSchema: 'public', login: LOGIN, apiKey: otherKey })));
    const row = await agentRow();
    assert.equal(row.rowid, rowid);
    assert.equal(row.api_key, otherKey);
    assert.equal(row.admin, 0);
    assert.equal(row.pass_crypted, null);
    assert.equal((row.tms as Date).getTime(), new Date(AGENT_USER_STAMP).getTime(), 'the tms trigger is suspended for the update');
    const triggers = await query(`SELECT tgenabled FROM pg_catalog.pg_trigger WHERE tgrelid = 'public.llx_user'::regclass AND NOT tgisinternal`);
    assert.deepEqual(triggers.map((t) => t.tgenabled), ['O']);
  });

  test('where Dolibarr has rights tables, the agent gets exactly its rights and no group', async () => {
    await reset();
    const { rowid } = await agentRow();
    // Dolibarr's rights tables, reduced to the columns agentUserSql uses; gone again at the next reset.
    await withClient(sandbox.runtime, (c) =>
      c.query(`
        CREATE TABLE public.llx_rights_def (id integer PRIMARY KEY, module varchar(64), perms varchar(50), subperms varchar(50), entity integer DEFAULT 1 NOT NULL);
        CREATE TABLE public.llx_user_rights (rowid serial PRIMARY KEY, entity integer DEFAULT 1 NOT NULL, fk_user integer NOT NULL, fk_id integer NOT NULL,
                                             UNIQUE (entity, fk_user, fk_id));
        CREATE TABLE public.llx_usergroup_user (rowid serial PRIMARY KEY, entity integer DEFAULT 1 NOT NULL, fk_user integer NOT NULL, fk_usergroup integer NOT NULL);
        INSERT INTO public.llx_rights_def (id, module, perms, subperms) VALUES
          (11, 'facture', 'lire', NULL), (12, 'facture', 'creer', NULL), (14, 'facture', 'invoice_advance', 'validate'), (19, 'facture', 'supprimer', NULL),
          (31, 'produit', 'lire', NULL), (32, 'produit', 'creer', NULL), (34, 'produit', 'supprimer', NULL),
          (121, 'societe', 'lire', NULL), (122, 'societe', 'creer', NULL), (125, 'societe', 'supprimer', NULL), (262, 'societe', 'client', 'voir'),
          (251, 'user', 'user', 'creer'), (358, 'user', 'user', 'export');
        INSERT INTO public.llx_user_rights (fk_user, fk_id) VALUES (${rowid}, 251), (${rowid}, 19), (1, 251);
        INSERT INTO public.llx_usergroup_user (fk_user, fk_usergroup) VALUES (${rowid}, 1), (1, 1);
      `),
    );
    await withClient(sandbox.runtime, (c) => c.query(agentUserSql({ appSchema: 'public', login: LOGIN, apiKey })));
    const rights = await query(`SELECT fk_id FROM public.llx_user_rights WHERE fk_user = $1 ORDER BY fk_id`, [rowid]);
    assert.deepEqual(rights.map((r) => r.fk_id), [11, 12, 14, 31, 32, 34, 121, 122, 262]);
    assert.equal((await query(`SELECT 1 FROM public.llx_user_rights WHERE fk_user = 1`)).length, 1, "other users' rights are left alone");
    assert.deepEqual(await query(`SELECT fk_user FROM public.llx_usergroup_user ORDER BY fk_user`), [{ fk_user: 1 }]);
    await reset();
  });

  test('agentUserSql refuses an unusable login or key, and never quotes the key', () => {
    assert.throws(() => agentUserSql({ appSchema: 'public', login: "x'; DROP TABLE llx_user; --", apiKey }), /BDD_AGENT_LOGIN .* is not a usable Dolibarr login/);
    const badKey = 'short$key';
    const error = (() => {
      try {
        agentUserSql({ appSchema: 'public', login: LOGIN, apiKey: badKey });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    assert.ok(error);
    assert.match(error.message, /API key is not usable/);
    assert.ok(!error.message.includes(badKey));
  });

  test('the SQL agent and the API agent (through the stand-in) leave the same rows, apart from the clock', async () => {
    await reset();
    const baseline = await businessState(sandbox.runtime);
    const viaSql = sqlAgent();
    const sqlOutcome = await workDay(viaSql).finally(() => viaSql.close());
    const sqlState = await businessState(sandbox.runtime);

    await reset();
    const requestsBefore = standIn.requests();
    const viaApi = apiAgent();
    const apiOutcome = await workDay(viaApi).finally(() => viaApi.close());
    const apiState = await businessState(sandbox.runtime);

    assert.equal(standIn.requests() - requestsBefore, 9, 'one request per action');
    assert.deepEqual(apiOutcome, sqlOutcome);
    assert.deepEqual(stateDifferences(sqlState, apiState), []);
    assert.deepEqual(
      stateDifferences(baseline, apiState).map((d) => d.split(':')[0]),
      ['llx_facture', 'llx_facturedet', 'llx_product', 'llx_product_price', 'llx_societe', '(sequences)'],
      'only the tables the actions write may change',
    );

    const agentId = (await agentRow()).rowid;
    const [customer] = await query(`SELECT * FROM public.llx_societe WHERE rowid = $1`, [apiOutcome.customer]);
    assert.equal(customer.nom, "Café de l'Étoile SARL");
    assert.equal(customer.client, 1);
    assert.match(String(customer.code_client), /^CU\d{4}-00031$/, 'mod_codeclient_monkey continues after the highest CU code');
    assert.equal(customer.fk_user_creat, agentId);
    assert.equal(customer.fk_pays, 1);
    const [invoice] = await query(`SELECT ref, fk_statut, fk_user_author, fk_user_valid, total_ht::text, total_tva::text, total_ttc::text FROM public.llx_facture WHERE rowid = $1`, [apiOutcome.invoice]);
    assert.deepEqual(invoice, { ref: 'FA2501-0043', fk_statut: 1, fk_user_author: agentId, fk_user_valid: agentId, total_ht: '777.00000000', total_tva: '155.40000000', total_ttc: '932.40000000' });
    const prices = await query(`SELECT price::text, price_ttc::text FROM public.llx_product_price WHERE fk_product = $1 ORDER BY rowid`, [apiOutcome.product]);
    assert.deepEqual(prices, [{ price: '249.00000000', price_ttc: '298.80000000' }, { price: '259.00000000', price_ttc: '310.80000000' }]);
    assert.equal((await query(`SELECT 1 FROM public.llx_product WHERE rowid = $1`, [apiOutcome.spare])).length, 0);
  });

  test('a wrong key gets Dolibarr\'s 401 from the stand-in, and nothing is written', async () => {
    await reset();
    const before = await withClient(sandbox.runtime, (c) => fingerprintDatabase(c, sandbox.scope));
    const requestsBefore = standIn.requests();
    const wrongKey = 'not-the-agent-key-0123456789';
    const intruder = apiAgent(wrongKey);
    const error = await refusalOf(intruder.registerCustomer({ name: 'Intrus SA' })).finally(() => intruder.close());
    assert.ok(error instanceof DolibarrApiError, inspect(error));
    assert.equal(error.status, 401);
    assert.match(error.dolibarrMessage ?? '', /^Unauthorized: Error user not valid/);
    for (const key of [wrongKey, apiKey]) assert.ok(!inspect(error).includes(key), 'no key may appear in the error');
    assert.equal(standIn.requests() - requestsBefore, 1, 'a refused write is not retried');
    const afterwards = await withClient(sandbox.runtime, (c) => fingerprintDatabase(c, sandbox.scope));
    assert.deepEqual(compareFingerprints(before, afterwards), []);
  });

  test('validation gives the draft its final FA<yymm>-<nnnn> ref and the validated status, once', async () => {
    await reset();
    const agent = apiAgent();
    const dolibarr = new DolibarrClient({ baseUrl: standIn.baseUrl, apiKey, retries: 0 });
    try {
      const { id: customer } = await agent.registerCustomer({ name: 'Boulangerie Ôde' });
      const { id: product } = await agent.createProduct({ ref: 'AGT-PAIN', label: 'Pain de campagne', price: 3.9, vatRate: 5.5 });
      const { id: invoice } = await agent.createInvoice({ customerId: customer, date: '2025-02-03' });
      const draft = await dolibarr.invoices.get(invoice);
      assert.equal(draft.ref, `(PROV${invoice})`);
      assert.equal(draft.status, 0);

      const empty = await refusalOf(agent.validateInvoice(invoice));
      assert.ok(empty instanceof DolibarrApiError);
      assert.equal(empty.status, 500);
      assert.match(empty.dolibarrMessage ?? '', /ErrorObjectMustHaveLinesToBeValidated/);

      await agent.addInvoiceLine(invoice, { productId: product, quantity: 3, unitPrice: 3.9, vatRate: 5.5 });
      assert.deepEqual(await agent.validateInvoice(invoice), { ref: 'FA2502-0043' });
      const validated = await dolibarr.invoices.get(invoice);
      assert.equal(validated.ref, 'FA2502-0043');
      assert.equal(validated.fk_statut, 1);
      assert.deepEqual([validated.total_ht, validated.total_tva, validated.total_ttc], ['11.70000000', '0.64000000', '12.34000000']);

      const twice = await refusalOf(agent.validateInvoice(invoice));
      assert.ok(twice instanceof DolibarrApiError, inspect(twice));
      assert.equal(twice.status, 304);
      const used = await refusalOf(agent.deleteProduct(product));
      assert.ok(used instanceof DolibarrApiError);
      assert.equal(used.status, 409);
    } finally {
      await agent.close();
      await dolibarr.close();
    }
  });

  test('the stand-in refuses what it does not implement instead of ignoring it', async () => {
    await reset();
    const dolibarr = new DolibarrClient({ baseUrl: standIn.baseUrl, apiKey, retries: 0 });
    try {
      const unusedEndpoint = await refusalOf(dolibarr.thirdParties.delete(1));
      assert.ok(unusedEndpoint instanceof DolibarrApiError);
      assert.equal(unusedEndpoint.status, 501);
      const unknownField = await refusalOf(dolibarr.products.create({ ref: 'AGT-X', label: 'X', barcode: '123' }));
      assert.ok(unknownField instanceof DolibarrApiError);
      assert.equal(unknownField.status, 501);
      assert.match(unknownField.dolibarrMessage ?? '', /does not implement field\(s\) barcode of POST \/products/);
      const missing = await refusalOf(dolibarr.invoices.create({ socid: undefined as unknown as number }));
      assert.ok(missing instanceof DolibarrApiError);
      assert.equal(missing.status, 400);
      assert.match(missing.dolibarrMessage ?? '', /socid field missing/);
      const gone = await refusalOf(dolibarr.thirdParties.get(999_999));
      assert.ok(gone instanceof DolibarrApiError);
      assert.equal(gone.dolibarrMessage, 'Not Found: Thirdparty not found');
    } finally {
      await dolibarr.close();
    }
  });

  test('the SQL agent refuses what Dolibarr refuses, with the same status', async () => {
    await reset();
    const agent = sqlAgent();
    try {
      const { id: customer } = await agent.registerCustomer({ name: 'Épicerie Noël' });
      const { id: product } = await agent.createProduct({ ref: 'AGT-THE', label: 'Thé vert', price: 6.9, vatRate: 5.5 });
      const { id: invoice } = await agent.createInvoice({ customerId: customer, date: '2025-02-03' });
      await agent.addInvoiceLine(invoice, { productId: product, quantity: 2, unitPrice: 6.9, vatRate: 5.5 });
      await agent.validateInvoice(invoice);
      for (const [promise, status] of [
        [agent.validateInvoice(invoice), 304],
        [agent.deleteProduct(product), 409],
        [agent.renameCustomer(999_999, 'Personne'), 404],
        [agent.createProduct({ ref: 'AGT-THE', label: 'Doublon', price: 1, vatRate: 20 }), 500],
      ] as const) {
        const error = await refusalOf(promise);
        assert.ok(error instanceof DolibarrRefusal, inspect(error));
        assert.equal(error.status, status, error.message);
      }
      await assert.rejects(agent.createInvoice({ customerId: customer, date: '2025-02-30' }), /calendar date written YYYY-MM-DD/);
      await assert.rejects(agent.registerCustomer({ name: 'Nowhere', countryCode: 'ZZ' }), /countryCode "ZZ" is not a country the agent knows/);
    } finally {
      await agent.close();
    }
  });
});
