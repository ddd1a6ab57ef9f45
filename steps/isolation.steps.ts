import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { ClientBase } from 'pg';
import { withClient, type PgConnection } from '../support/db/connect';
import { registerSecret } from '../support/db/redact';
import { compareFingerprints, type Fingerprints } from '../support/golden/fingerprint';
import { describeAttempt, tryConnect, tryEachRolledBack, type Attempt } from '../support/isolation/attempt';
import { assertCannotActAsOwner, databaseOwner, tryCreateDatabase, tryDropDatabase, withClientOutside } from '../support/isolation/databases';
import { callThroughSandboxTransport, fetchThirdParty, renderingsShowing, type CallOutcome } from '../support/isolation/key-routes';
import { productionAnswers, sandboxAnswers, startStandInDolibarr, type StandInDolibarr } from '../support/isolation/loopback-dolibarr';
import { openDoorFor } from '../support/isolation/open-door';
import { createOwnTable, emptyTable } from '../support/isolation/production-changes';
import { rolePowers, type RolePowers } from '../support/isolation/role-powers';
import { createScratchDatabase, scratchDatabaseName, type ScratchDatabase } from '../support/isolation/scratch-database';
import { deleteOneRow, insertCopyOfRow, updateOneRow } from '../support/sandbox/changes';
import { loginFacts } from '../support/sandbox/inspect';
import type { SandboxWorld } from '../support/world';
import type { AppScope } from '../support/golden/scope';
import { NotTheSandboxError, type SandboxIdentity } from '../support/guard/sandbox-guard';

/** What this file's steps hand from When to Then, per scenario. */
interface IsolationState {
  attempt?: Attempt;
  attempts?: { attempt: string; result: Attempt }[];
  prodBefore?: Fingerprints;
  powers?: RolePowers & { ownedInSandbox: number };
  scratch?: ScratchDatabase;
  /** The spare database's owner right after the drop: undefined when it is gone. */
  ownerAfterDrop?: string;
  createAgain?: Attempt;
  /** Where the harness is pointed in a guard scenario, and what its reset attempt threw. */
  misdirected?: { runtime: PgConnection; identity: SandboxIdentity; refusal?: Error };
  dolibarr?: { key: string; sandbox: StandInDolibarr; production: StandInDolibarr; outcome?: CallOutcome };
}
const states = new WeakMap<SandboxWorld, IsolationState>();
function stateOf(world: SandboxWorld): IsolationState {
  if (!states.has(world)) states.set(world, {});
  return states.get(world)!;
}

// The words a product owner uses for a change to production, and what it is in Dolibarr's tables.
const PRODUCTION_CHANGES: Record<string, (client: ClientBase, scope: AppScope) => Promise<void>> = {
  'add a customer': (c, s) => insertCopyOfRow(c, s, 'llx_societe'),
  "change a customer's name": (c, s) => updateOneRow(c, s, 'llx_societe', 'nom'),
  'delete a contact': (c, s) => deleteOneRow(c, s, 'llx_socpeople'),
  'empty the table of invoice lines': (c, s) => emptyTable(c, s.schema, 'llx_facturedet'),
  'create a table of its own': (c, s) => createOwnTable(c, s.schema, 'llx_agent_probe'),
};

// How the agent's client may be pointed at production's Dolibarr.
const KEY_ROUTES: Record<string, (dolibarr: NonNullable<IsolationState['dolibarr']>) => Promise<CallOutcome>> = {
  "sends a call addressed to production's Dolibarr": (d) => callThroughSandboxTransport(d.sandbox.origin, d.production.origin, d.key, 2),
  "is redirected to production's Dolibarr by the sandbox's Dolibarr": (d) => fetchThirdParty(d.sandbox.origin, d.key, 2),
};

const production = (world: SandboxWorld): PgConnection => world.harness.backend.prodDump!;
const runtimeIn = (world: SandboxWorld, database: string): PgConnection => ({ ...world.harness.backend.runtime, database });
const provisioner = (world: SandboxWorld): PgConnection => ({ ...world.harness.backend.superuser!, database: 'postgres' });
const timeout = (world: SandboxWorld) => world.harness.config.connectTimeoutMs;
const fingerprintProduction = (world: SandboxWorld) => world.harness.fingerprintProduction();

// --- Production's door ---

Given('production lives on the same server as the sandbox', async function (this: SandboxWorld) {
  const owner = await this.inSandbox((c) => databaseOwner(c, this.harness.config.prodDatabase));
  if (!owner) throw new Error(`Expected production ("${this.harness.config.prodDatabase}", BDD_PROD_DB) on the sandbox's server; it has no such database.`);
});

Given("production's door was left open to the sandbox's login by mistake", async function (this: SandboxWorld) {
  this.cleanups.push(await openDoorFor(provisioner(this), this.harness.config.prodDatabase, this.harness.backend.runtime.user, timeout(this)));
});

When("the sandbox's login tries to connect to production", async function (this: SandboxWorld) {
  stateOf(this).attempt = await tryConnect(runtimeIn(this, this.harness.config.prodDatabase), timeout(this));
});

When(/^(the sandbox's login|the role that copies production) tries each of these in production:$/, async function (this: SandboxWorld, who: string, table: DataTable) {
  const state = stateOf(this);
  const login = who === "the sandbox's login" ? runtimeIn(this, this.harness.config.prodDatabase) : production(this);
  const changes = table.hashes().map(({ attempt }) => ({ attempt, change: PRODUCTION_CHANGES[attempt] ?? unknown(attempt, PRODUCTION_CHANGES) }));
  state.prodBefore = await fingerprintProduction(this);
  state.attempts = await withClient(login, (client) => tryEachRolledBack(client, changes, this.harness.scope, this.harness.config.lockTimeoutMs), timeout(this));
});

When("the sandbox's login tries to drop production", async function (this: SandboxWorld) {
  const prod = this.harness.config.prodDatabase;
  stateOf(this).attempt = await withClientOutside(this.harness.backend.runtime, prod, timeout(this), async (client, from) => {
    this.log(`DROP DATABASE issued from database "${from}"`);
    await assertCannotActAsOwner(client, prod);
    return tryDropDatabase(client, prod);
  });
});

Then('it is turned away for lack of permission to enter production', function (this: SandboxWorld) {
  const { attempt } = stateOf(this);
  expect(attempt?.ok === false && attempt.code, describeAttempt(attempt)).to.equal('42501');
  expect(attempt?.ok === false && attempt.message, describeAttempt(attempt)).to.contain(`permission denied for database "${this.harness.config.prodDatabase}"`);
});

Then('every attempt is refused for lack of permission', function (this: SandboxWorld) {
  const attempts = stateOf(this).attempts ?? [];
  const details = attempts.map(({ attempt, result }) => `  ${attempt}: ${describeAttempt(result)}`).join('\n');
  expect(attempts.length, 'attempts made').to.be.greaterThan(0);
  expect(Object.fromEntries(attempts.map(({ attempt, result }) => [attempt, result.ok ? 'done' : result.code])), `what came of each attempt:\n${details}\n`)
    .to.deep.equal(Object.fromEntries(attempts.map(({ attempt }) => [attempt, '42501'])));
  for (const { attempt, result } of attempts) expect(!result.ok && result.message, attempt).to.contain('permission denied');
});

Then("production's data is exactly as it was", async function (this: SandboxWorld) {
  const before = stateOf(this).prodBefore;
  expect(before, "production's state recorded before the attempts").to.not.equal(undefined);
  expect(compareFingerprints(before!, await fingerprintProduction(this)), "differences in production's data").to.deep.equal([]);
});

Then("it is refused because the sandbox's login does not own production", function (this: SandboxWorld) {
  const { attempt } = stateOf(this);
  expect(attempt?.ok === false && attempt.code, describeAttempt(attempt)).to.equal('42501');
  expect(attempt?.ok === false && attempt.message, describeAttempt(attempt)).to.equal(`must be owner of database ${this.harness.config.prodDatabase}`);
});

Then('production is still there', async function (this: SandboxWorld) {
  const owner = await this.inSandbox((c) => databaseOwner(c, this.harness.config.prodDatabase));
  expect(owner, "production's owner").to.equal(this.harness.config.prodOwner);
});

// --- What the sandbox's login holds ---

When("the server is asked what the sandbox's login may do", async function (this: SandboxWorld) {
  stateOf(this).powers = await this.inSandbox(async (c) => ({ ...(await rolePowers(c)), ownedInSandbox: (await loginFacts(c)).ownedObjects }));
});

Then('it is no superuser, and may neither create databases or roles nor replicate the server', function (this: SandboxWorld) {
  const p = stateOf(this).powers!;
  expect(p.login, 'the login looked up').to.equal(this.harness.backend.runtime.user);
  expect({ superuser: p.superuser, createdb: p.createdb, createrole: p.createrole, replication: p.replication })
    .to.deep.equal({ superuser: false, createdb: false, createrole: false, replication: false });
});

Then('it owns nothing itself: no database, and nothing in the sandbox', function (this: SandboxWorld) {
  const p = stateOf(this).powers!;
  expect(p.ownsDatabases, 'databases the login owns').to.deep.equal([]);
  expect(p.ownedInSandbox, 'objects the login owns in the sandbox').to.equal(0);
});

Then("it belongs to the sandbox's owner and to no other role, production's owner included", function (this: SandboxWorld) {
  const p = stateOf(this).powers!;
  expect(p.memberOf, "production's owner among the login's roles").to.not.include(this.harness.config.prodOwner);
  expect(p.memberOf, 'roles the login belongs to, directly or not').to.deep.equal([this.harness.config.sandboxOwner]);
});

Then('the only database it can act as the owner of is the sandbox', function (this: SandboxWorld) {
  expect(stateOf(this).powers!.actsAsOwnerOf, 'databases the login can drop or alter as their owner').to.deep.equal([this.harness.config.sandboxDatabase]);
});

// --- The boundary: dropping is possible, creating is not ---

Given("the provisioner created a spare database owned by the sandbox's owner", async function (this: SandboxWorld) {
  const scratch = await createScratchDatabase(provisioner(this), scratchDatabaseName(this.harness.config.sandboxDatabase), this.harness.config.sandboxOwner, timeout(this));
  this.cleanups.push(() => scratch.remove());
  stateOf(this).scratch = scratch;
});

When("the sandbox's login drops the spare database", async function (this: SandboxWorld) {
  const { name } = stateOf(this).scratch!;
  stateOf(this).attempt = await withClientOutside(this.harness.backend.runtime, name, timeout(this), (c, from) => {
    this.log(`DROP DATABASE issued from database "${from}"`);
    return tryDropDatabase(c, name);
  });
  stateOf(this).ownerAfterDrop = await this.inSandbox((c) => databaseOwner(c, name));
});

When("the sandbox's login tries to create the spare database again", async function (this: SandboxWorld) {
  const { name } = stateOf(this).scratch!;
  stateOf(this).createAgain = await withClientOutside(this.harness.backend.runtime, name, timeout(this), (c) => tryCreateDatabase(c, name));
});

Then('the spare database is gone', function (this: SandboxWorld) {
  const { attempt, scratch } = stateOf(this);
  expect(attempt, `dropping "${scratch!.name}": ${describeAttempt(attempt)}`).to.deep.equal({ ok: true });
  expect(stateOf(this).ownerAfterDrop, `owner of "${scratch!.name}" right after it was dropped`).to.equal(undefined);
});

Then("creating it again was refused because the sandbox's login may not create databases", async function (this: SandboxWorld) {
  const { createAgain, scratch } = stateOf(this);
  expect(createAgain?.ok === false && createAgain.code, describeAttempt(createAgain)).to.equal('42501');
  expect(createAgain?.ok === false && createAgain.message, describeAttempt(createAgain)).to.equal('permission denied to create database');
  expect(await this.inSandbox((c) => databaseOwner(c, scratch!.name)), `owner of "${scratch!.name}" now`).to.equal(undefined);
});

Then('the sandbox is still there, exactly as it was', async function (this: SandboxWorld) {
  const { sandboxDatabase, sandboxOwner } = this.harness.config;
  expect(await this.inSandbox((c) => databaseOwner(c, sandboxDatabase)), "the sandbox's owner").to.equal(sandboxOwner);
  expect(await this.harness.verify(), 'differences from the baseline').to.deep.equal([]);
});

// --- The agent's Dolibarr key ---

Given("the sandbox's Dolibarr and production's Dolibarr are both running, and the agent's client works with the sandbox's", async function (this: SandboxWorld) {
  const key = `sandbox-agent-${randomBytes(16).toString('base64url')}`;
  registerSecret(key);
  const prod = await startStandInDolibarr(key, productionAnswers);
  this.cleanups.push(() => prod.stop());
  const sandbox = await startStandInDolibarr(key, sandboxAnswers(prod.origin));
  this.cleanups.push(() => sandbox.stop());
  stateOf(this).dolibarr = { key, sandbox, production: prod };
  const control = await fetchThirdParty(sandbox.origin, key, 1);
  if (!control.answered) throw new Error(`The agent's client could not reach the sandbox's stand-in Dolibarr at ${sandbox.origin}: ${control.error.message}`);
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
When(new RegExp(`^the agent's client (${Object.keys(KEY_ROUTES).map(escape).join('|')})$`), async function (this: SandboxWorld, how: string) {
  const route = KEY_ROUTES[how] ?? unknown(how, KEY_ROUTES);
  const dolibarr = stateOf(this).dolibarr!;
  dolibarr.outcome = await route(dolibarr);
});

Then('the client refuses, saying {string}', function (this: SandboxWorld, refusal: string) {
  const outcome = stateOf(this).dolibarr?.outcome;
  expect(outcome?.answered, `the call was answered with HTTP ${outcome?.answered && outcome.status}`).to.equal(false);
  expect(outcome?.answered === false && outcome.error.message).to.contain(refusal);
});

Then("production's Dolibarr received nothing, and only the sandbox's Dolibarr ever saw the key", function (this: SandboxWorld) {
  const { sandbox, production: prod } = stateOf(this).dolibarr!;
  expect(prod.received, "requests that reached production's Dolibarr").to.deep.equal([]);
  expect(prod.connections(), "connections production's Dolibarr accepted").to.equal(0);
  expect(sandbox.received.filter((r) => r.carriedKey).length, "requests with the key that reached the sandbox's Dolibarr").to.be.greaterThan(0);
});

Then('the refusal does not reveal the key', function (this: SandboxWorld) {
  const { key, outcome } = stateOf(this).dolibarr!;
  expect(outcome?.answered, 'the call was refused').to.equal(false);
  expect(renderingsShowing(outcome?.answered === false ? outcome.error : undefined, key), 'renderings of the error that show the key').to.deep.equal([]);
});

function unknown(name: string, known: Record<string, unknown>): never {
  throw new Error(`Unknown "${name}". Known: ${Object.keys(known).join('; ')}.`);
}

// --- The harness's own guard ---

Given("the harness is pointed at production with production's own login", async function (this: SandboxWorld) {
  const state = stateOf(this);
  state.misdirected = { runtime: this.harness.backend.prodApp!, identity: this.harness.identity };
  state.prodBefore = await fingerprintProduction(this);
});

Given('the harness expects another server than the one it reaches', async function (this: SandboxWorld) {
  const otherServer = String(BigInt(this.harness.backend.serverId) + 1n);
  stateOf(this).misdirected = { runtime: this.harness.backend.runtime, identity: { ...this.harness.identity, serverId: otherServer } };
});

When('the harness is asked to reset what it is pointed at', async function (this: SandboxWorld) {
  const target = stateOf(this).misdirected!;
  target.refusal = await this.harness.resetTarget({ runtime: target.runtime, identity: target.identity }).then(
    () => undefined,
    (error: Error) => error,
  );
});

Then('it refuses, naming the database, its owner and the login that did not match', function (this: SandboxWorld) {
  const refusal = stateOf(this).misdirected?.refusal;
  expect(refusal, 'the reset was refused').to.be.instanceOf(NotTheSandboxError);
  const { config } = this.harness;
  expect(refusal!.message).to.contain(`database is "${config.prodDatabase}", expected "${config.sandboxDatabase}"`);
  expect(refusal!.message).to.contain(`database owner is "${config.prodOwner}", expected "${config.sandboxOwner}"`);
  expect(refusal!.message).to.contain(`is a member of the production owner "${config.prodOwner}"`);
  expect(refusal!.message).to.not.contain(this.harness.backend.prodApp!.password);
});

Then('it refuses, naming the server identity it expected and the one it found', function (this: SandboxWorld) {
  const { refusal, identity } = stateOf(this).misdirected!;
  expect(refusal, 'the reset was refused').to.be.instanceOf(NotTheSandboxError);
  expect(refusal!.message).to.contain(`server system identifier is ${this.harness.backend.serverId}, expected ${identity.serverId}`);
});
