import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { withClient } from '../support/db/connect';
import { parseArchiveList, summariseArchive } from '../support/golden/archive-contents';
import { failingNearItsEnd, fromNewerMajor, truncated, withoutManifest, wrongChecksum } from '../support/golden/doctored';
import { openGolden } from '../support/golden/golden';
import { sha256File } from '../support/golden/manifest';
import { productionFingerprintsOf } from '../support/golden/scrub';
import { discoverScope } from '../support/golden/scope';
import type { SandboxWorld } from '../support/world';

const manifestOf = (world: SandboxWorld) => {
  expect(world.harness.golden.manifest, 'the golden has a manifest').to.not.equal(undefined);
  return world.harness.golden.manifest!;
};

Given('the golden checkpoint was taken from production', async function (this: SandboxWorld) {
  this.archive = summariseArchive(parseArchiveList(await this.harness.backend.tools.list(this.harness.golden.path)), this.harness.scope.schema);
});

Then('the golden holds every application table production has, with the same rows', async function (this: SandboxWorld) {
  const prod = this.harness.backend.prodDump!;
  const { tables } = await withClient(prod, (client) => discoverScope(client, this.harness.scope));
  const now = await this.harness.fingerprintProduction();
  expect(tables.length, 'application tables in production').to.be.greaterThan(0);
  expect(this.archive!.tables, 'tables in the golden').to.deep.equal(tables);
  expect(productionFingerprintsOf(manifestOf(this)).data.tables, "production's rows recorded in the manifest").to.deep.equal(now.data.tables);
});

Then('the golden holds every function the application tables\' triggers call', async function (this: SandboxWorld) {
  const called = await this.inSandbox(async (client) => {
    const { rows } = await client.query<{ fn: string }>(
      `SELECT DISTINCT p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS fn
         FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND t.tgname NOT LIKE 'zz\\_bdd\\_%' AND n.nspname = $1 AND c.relname LIKE $2 ORDER BY 1`,
      [this.harness.scope.schema, this.harness.scope.tablePattern],
    );
    return rows.map((r) => r.fn);
  });
  expect(called.length, 'functions called by application triggers').to.be.greaterThan(0);
  expect(this.archive!.functions).to.include.members(called);
});

Then('the golden holds these helper functions:', function (this: SandboxWorld, table: { hashes(): { function: string }[] }) {
  expect(this.archive!.functions).to.include.members(table.hashes().map((row) => row.function));
});

Then('the golden holds nothing of the connection pooler', function (this: SandboxWorld) {
  expect(this.archive!.schemas, 'schemas in the golden').to.deep.equal([this.harness.scope.schema]);
  expect(this.archive!.outside, 'objects outside the application schema').to.deep.equal([]);
  expect(this.archive!.functions.filter((f) => f.startsWith('user_lookup')), 'pooler functions').to.deep.equal([]);
});

Then('the golden carries no grants, and restoring it makes the sandbox owner the owner of everything', async function (this: SandboxWorld) {
  expect(this.archive!.grants, 'grants in the golden').to.deep.equal([]);
  const owners = await this.inSandbox(async (client) => {
    const { rows } = await client.query<{ owner: string }>(
      `SELECT DISTINCT pg_catalog.pg_get_userbyid(c.relowner) AS owner FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
       UNION SELECT DISTINCT pg_catalog.pg_get_userbyid(p.proowner) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1`,
      [this.harness.scope.schema],
    );
    return rows.map((r) => r.owner);
  });
  expect(owners, 'owners of the application objects in the sandbox').to.deep.equal([this.harness.config.sandboxOwner]);
});

Then("the golden's application tables are:", function (this: SandboxWorld, table: { hashes(): { table: string; rows: string }[] }) {
  const recorded = manifestOf(this).data.tables;
  const actual = Object.fromEntries(Object.entries(recorded).map(([name, t]) => [name, t.rows]));
  const expected = Object.fromEntries(table.hashes().map((row) => [row.table, Number(row.rows)]));
  expect(actual).to.deep.equal(expected);
});

Then("the golden's manifest names the read-only role that took it, the production database and when", function (this: SandboxWorld) {
  const { taken } = manifestOf(this);
  const { backend, config } = this.harness;
  expect(taken.from.database, 'database the golden was taken from').to.equal(config.prodDatabase);
  if (backend.prodDump) expect(taken.by, 'role that took the golden').to.equal(backend.prodDump.user);
  expect(taken.by, 'role that took the golden').to.match(/\S/);
  expect(taken.from.database).to.equal(config.prodDatabase);
  const at = Date.parse(taken.at);
  expect(Number.isNaN(at), `"${taken.at}" is a time`).to.equal(false);
  expect(at, 'taken before now').to.be.at.most(Date.now());
});

Then("the golden's manifest records each application table with its row count and a fingerprint", function (this: SandboxWorld) {
  const manifest = manifestOf(this);
  expect(Object.keys(manifest.data.tables), 'tables in the manifest').to.deep.equal(this.archive!.tables);
  for (const [name, table] of Object.entries(manifest.data.tables)) {
    expect(table.rows, `${name} rows`).to.be.a('number');
    expect(table.hash, `${name} fingerprint`).to.match(/^-?\d+:-?\d+$/);
  }
  expect(manifest.catalog.fingerprint).to.match(/^[0-9a-f]{64}$/);
  expect(manifest.archive.serverVersion).to.match(/^\d+/);
});

Then('the golden matches the checksum in its manifest', async function (this: SandboxWorld) {
  expect(await sha256File(this.harness.golden.path)).to.equal(manifestOf(this).golden.sha256);
});

Given('a copy of the golden without its manifest', function (this: SandboxWorld) {
  this.otherGolden = withoutManifest(this.harness.golden);
});

Given('a copy of the golden as PostgreSQL {int} would have written it', function (this: SandboxWorld, major: number) {
  this.otherGolden = fromNewerMajor(this.harness.golden, major);
});

Given('a golden that was cut short', function (this: SandboxWorld) {
  this.otherGolden = truncated(this.harness.golden);
});

Given('a golden whose manifest records another checksum', function (this: SandboxWorld) {
  this.otherGolden = wrongChecksum(this.harness.golden);
});

Given('a golden that matches its manifest but fails to restore near its end', async function (this: SandboxWorld) {
  const { backend, config, scope } = this.harness;
  this.otherGolden = await failingNearItsEnd(backend.tools, { ...backend.superuser!, database: 'postgres' },
    { database: config.prodDatabase, owner: config.prodOwner, dump: backend.prodDump! }, scope);
});

When('the harness is asked to use that golden', async function (this: SandboxWorld) {
  await openGolden(this.otherGolden!.path, this.harness.backend.tools, false).then(
    (golden) => (this.acceptedGolden = golden),
    (error: Error) => (this.lastError = error),
  );
});

When('the harness is asked to use that golden, accepting it unverified', async function (this: SandboxWorld) {
  await openGolden(this.otherGolden!.path, this.harness.backend.tools, true).then(
    (golden) => (this.acceptedGolden = golden),
    (error: Error) => (this.lastError = error),
  );
});

Then('it is refused because it has no manifest, with the way to accept it anyway', function (this: SandboxWorld) {
  expect(this.acceptedGolden, 'accepted golden').to.equal(undefined);
  expect(this.lastError?.message).to.contain('has no manifest');
  expect(this.lastError?.message).to.contain('BDD_GOLDEN_UNVERIFIED=accept');
});

Then('it is accepted and marked as unverified', function (this: SandboxWorld) {
  expect(this.lastError, 'error').to.equal(undefined);
  expect(this.acceptedGolden?.verified).to.equal(false);
  expect(this.acceptedGolden?.manifest).to.equal(undefined);
});

Then('it is refused, naming PostgreSQL {int} and the version of the available tools', function (this: SandboxWorld, major: number) {
  expect(this.acceptedGolden, 'accepted golden').to.equal(undefined);
  expect(this.lastError?.message).to.contain(`PostgreSQL ${major}.`);
  expect(this.lastError?.message).to.contain(this.harness.backend.tools.version);
});
