import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import type { Client } from 'pg';
import { compareFingerprints } from '../support/golden/fingerprint';
import { openGolden } from '../support/golden/golden';
import { addTables, advanceKeySequence, deleteOneRow, dropTable, insertCopyOfRow, updateOneRow } from '../support/sandbox/changes';
import { loginFacts, poolerLookup } from '../support/sandbox/inspect';
import { quoteIdent } from '../support/db/ident';
import type { AppScope } from '../support/golden/scope';
import type { SandboxWorld } from '../support/world';

type Change = (client: Client, scope: AppScope, world: SandboxWorld) => Promise<void>;

// The words a product owner uses for a change, and what it is in Dolibarr's tables.
const CHANGES: Record<string, Change> = {
  'added a customer': (c, s) => insertCopyOfRow(c, s, 'llx_societe'),
  "changed a customer's name": (c, s) => updateOneRow(c, s, 'llx_societe', 'nom'),
  "changed a product's price": (c, s) => updateOneRow(c, s, 'llx_product', 'price'),
  'deleted an invoice line': (c, s) => deleteOneRow(c, s, 'llx_facturedet'),
  'deleted a contact': (c, s) => deleteOneRow(c, s, 'llx_socpeople'),
  'dropped the invoice lines table': (c, s) => dropTable(c, s, 'llx_facturedet'),
  'added a table of its own': (c, s, w) => addTables(c, s, w.harness.config.sandboxOwner, ['llx_agent_notes', 'llx_agent_scratch']),
  'drew invoice numbers without using them': (c, s) => advanceKeySequence(c, s, 'llx_facture', 5),
};

function changesIn(text: string): Change[] {
  return text.split(/, | and /).map((part) => {
    const change = CHANGES[part.trim()];
    if (!change) throw new Error(`Unknown change "${part}". Known changes: ${Object.keys(CHANGES).join('; ')}.`);
    return change;
  });
}

async function resetAndObserve(world: SandboxWorld, golden = world.harness.golden): Promise<void> {
  const { harness } = world;
  world.differencesBeforeReset = await harness.verify();
  world.poolerBefore = await world.inSandbox(poolerLookup);
  const mark = harness.backend.serverLog?.mark();
  await harness.reset(golden);
  if (mark !== undefined) world.resetConnections = harness.backend.serverLog!.connectionsSince(mark);
  world.afterResets.push(await harness.fingerprintSandbox());
}

Given(/^someone (.+) in the sandbox$/, async function (this: SandboxWorld, text: string) {
  const changes = changesIn(text);
  await this.inSandbox(async (client) => {
    for (const change of changes) await change(client, this.harness.scope, this);
  });
  this.before = await this.harness.fingerprintSandbox();
});

Given('the sandbox was emptied of every application object', async function (this: SandboxWorld) {
  await this.inSandbox((client) => client.query(`DROP OWNED BY CURRENT_USER, ${quoteIdent(this.harness.config.sandboxOwner)} CASCADE`));
  const now = await this.harness.fingerprintSandbox();
  expect(Object.keys(now.data.tables), 'application tables left after emptying').to.deep.equal([]);
});

When('the sandbox is reset to the golden', async function (this: SandboxWorld) {
  await resetAndObserve(this);
});

When('the sandbox is reset to the golden again', async function (this: SandboxWorld) {
  await resetAndObserve(this);
});

When('the sandbox is reset to that golden', async function (this: SandboxWorld) {
  try {
    const golden = await openGolden(this.otherGolden!.path, this.harness.backend.tools, false);
    await resetAndObserve(this, golden);
  } catch (error) {
    this.lastError = error as Error;
  }
});

Then('the change is undone: the sandbox matches the baseline again', async function (this: SandboxWorld) {
  expect(this.differencesBeforeReset, 'differences from the baseline before the reset').to.not.be.empty;
  expect(await this.harness.verify(), 'differences from the baseline after the reset').to.deep.equal([]);
});

Then('the sandbox matches the baseline', async function (this: SandboxWorld) {
  expect(await this.harness.verify(), 'differences from the baseline').to.deep.equal([]);
});

Then("every application table holds exactly the golden's rows", async function (this: SandboxWorld) {
  const baseline = this.harness.baseline();
  const found = await this.harness.fingerprintSandbox();
  expect(Object.keys(found.data.tables), 'application tables').to.deep.equal(Object.keys(baseline.data.tables));
  expect(Object.keys(baseline.data.tables).length, 'application tables in the golden').to.be.greaterThan(0);
  const data = compareFingerprints(baseline, found).filter((d) => !d.what.startsWith('catalog'));
  expect(data, 'tables or sequences whose content differs from the golden').to.deep.equal([]);
});

Then("every application table has the golden's columns, keys, indexes and triggers", async function (this: SandboxWorld) {
  const baseline = this.harness.baseline();
  const found = await this.harness.fingerprintSandbox();
  expect(Object.keys(baseline.catalog.objects).length, 'catalog objects in the golden').to.be.greaterThan(0);
  const catalog = compareFingerprints(baseline, found).filter((d) => d.what.startsWith('catalog'));
  expect(catalog, 'catalog parts that differ from the golden').to.deep.equal([]);
});

Then("the connection pooler's lookup function is still there, owned by the provisioner and untouched", async function (this: SandboxWorld) {
  const now = await this.inSandbox(poolerLookup);
  expect(this.poolerBefore?.exists, 'pooler.user_lookup before the reset').to.equal(true);
  expect(now.exists, 'pooler.user_lookup after the reset').to.equal(true);
  expect(now.ownerIsSuperuser, `owner ${now.owner} is the provisioning superuser`).to.equal(true);
  expect(now.owner).to.not.equal(this.harness.config.sandboxOwner);
  expect(now.identity, 'same function object and body as before the reset').to.equal(this.poolerBefore!.identity);
});

Then('the reset ran as a login with no superuser, no CREATEDB and no CREATEROLE, that owns nothing', async function (this: SandboxWorld) {
  const facts = await this.inSandbox(loginFacts);
  expect(facts.login).to.equal(this.harness.backend.runtime.user);
  expect({ superuser: facts.superuser, createdb: facts.createdb, createrole: facts.createrole }).to.deep.equal({ superuser: false, createdb: false, createrole: false });
  expect(facts.memberOf, 'roles the login is a member of').to.deep.equal([this.harness.config.sandboxOwner]);
  expect(facts.ownedObjects, 'objects the login owns in the sandbox').to.equal(0);
});

Then('every connection the reset opened was made by that login, as the server logged it', async function (this: SandboxWorld) {
  const connections = this.resetConnections ?? [];
  expect(connections.length, 'connections the server logged during the reset').to.be.greaterThan(0);
  const others = connections.filter((c) => c.user !== this.harness.backend.runtime.user);
  expect(others, 'connections by any other role').to.deep.equal([]);
});

Then('the reset fails, saying {string}', function (this: SandboxWorld, expected: string) {
  expect(this.lastError, 'the reset was expected to fail').to.be.instanceOf(Error);
  expect(this.lastError!.message).to.contain(expected);
});

Then('the sandbox is exactly as it was before the reset', async function (this: SandboxWorld) {
  expect(this.before, 'the state recorded before the reset').to.not.equal(undefined);
  const now = await this.harness.fingerprintSandbox();
  expect(compareFingerprints(this.before!, now), 'differences from the state before the failed reset').to.deep.equal([]);
  expect(compareFingerprints(this.harness.baseline(), now), 'the change made before the reset is still there').to.not.be.empty;
});

Then('both resets left the sandbox in the same state, matching the baseline', async function (this: SandboxWorld) {
  expect(this.afterResets.length, 'resets observed').to.equal(2);
  expect(compareFingerprints(this.afterResets[0], this.afterResets[1]), 'differences between the two resets').to.deep.equal([]);
  expect(await this.harness.verify(), 'differences from the baseline').to.deep.equal([]);
});
