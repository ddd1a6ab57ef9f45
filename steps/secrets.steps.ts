import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import { withClient } from '../support/db/connect';
import { qualified } from '../support/db/ident';
import { compareFingerprints } from '../support/golden/fingerprint';
import { openGolden } from '../support/golden/golden';
import { assertGoldenScrubbed, withoutScrubRecord, type GoldenManifestWithScrub } from '../support/golden/scrub';
import { ruleName } from '../support/golden/scrub-rules';
import { goldenVersusProduction, nonSecretSettings, restoreGoldenAlone, secretsLeftIn, settingsNamed } from '../support/golden/scrub-inspect';
import type { SandboxWorld } from '../support/world';

const manifestOf = (world: SandboxWorld): GoldenManifestWithScrub => {
  expect(world.harness.golden.manifest, 'the golden has a manifest').to.not.equal(undefined);
  return world.harness.golden.manifest as GoldenManifestWithScrub;
};

/** The live profile's check on a golden given by path: readable, intact, and scrubbed. */
async function useOnLive(world: SandboxWorld, path: string): Promise<void> {
  await openGolden(path, world.harness.backend.tools, false).then(
    (golden) => {
      assertGoldenScrubbed(golden.manifest, golden.path);
      world.acceptedGolden = golden;
    },
  ).catch((error: Error) => (world.lastError = error));
}

When("the golden is restored on its own, before the agent's user is added", async function (this: SandboxWorld) {
  const { backend, identity, golden, config } = this.harness;
  // The sandbox must not stay without the agent's user and the application's grants after the scenario.
  this.cleanups.push(async () => void (await this.harness.reset()));
  await restoreGoldenAlone({ tools: backend.tools, runtime: backend.runtime, identity, golden, lockTimeoutMs: config.lockTimeoutMs });
});

Given('a copy of the golden whose manifest does not record a scrub', function (this: SandboxWorld) {
  this.otherGolden = withoutScrubRecord(this.harness.golden);
});

When('the live sandbox is asked to use that golden', async function (this: SandboxWorld) {
  await useOnLive(this, this.otherGolden!.path);
});

When("the live sandbox is asked to use this run's golden", async function (this: SandboxWorld) {
  await useOnLive(this, this.harness.golden.path);
});

Then('no user holds an API key, a password, a password hash or a temporary password', async function (this: SandboxWorld) {
  expect(await this.inSandbox((client) => secretsLeftIn(client, this.harness.scope.schema, 'llx_user')), 'users still holding a secret').to.deep.equal([]);
});

Then('no setting holds a password, a key, a secret, a token or a salt', async function (this: SandboxWorld) {
  expect(await this.inSandbox((client) => secretsLeftIn(client, this.harness.scope.schema, 'llx_const')), 'settings still holding a secret').to.deep.equal([]);
});

Then('these settings read:', async function (this: SandboxWorld, table: DataTable) {
  const expected = Object.fromEntries(table.hashes().map((row) => [row.setting, row.value]));
  expect(await this.inSandbox((client) => settingsNamed(client, this.harness.scope.schema, Object.keys(expected)))).to.deep.equal(expected);
});

Then('every setting that holds no secret reads as in production', async function (this: SandboxWorld) {
  const inProduction = await withClient(this.harness.backend.prodDump!, (client) => nonSecretSettings(client, this.harness.scope.schema));
  expect(Object.keys(inProduction).length, 'settings in production that hold no secret').to.be.greaterThan(0);
  expect(await this.inSandbox((client) => nonSecretSettings(client, this.harness.scope.schema))).to.deep.equal(inProduction);
});

Then('no other user holds an API key or a password', async function (this: SandboxWorld) {
  const { rows } = await this.inSandbox((client) =>
    client.query<{ login: string }>(
      `SELECT login FROM ${qualified(this.harness.scope.schema, 'llx_user')}
        WHERE login <> $1 AND (coalesce(api_key, '') <> '' OR coalesce(pass, '') <> '' OR coalesce(pass_crypted, '') <> '' OR coalesce(pass_temp, '') <> '')
        ORDER BY login`,
      [this.harness.config.agent.login],
    ),
  );
  expect(rows.map((r) => r.login), 'other users holding a key or a password').to.deep.equal([]);
});

Then('the golden holds as many rows as production did, in every application table', function (this: SandboxWorld) {
  expect(goldenVersusProduction(manifestOf(this)).rowCountsDiffer, 'tables whose row count differs from production').to.deep.equal([]);
});

Then('the golden differs from production only in the tables whose secrets were blanked', function (this: SandboxWorld) {
  const comparison = goldenVersusProduction(manifestOf(this));
  expect(comparison.scrubbedTables, 'tables whose secrets were blanked').to.not.be.empty;
  expect(comparison.changedBeyondScrub, 'tables that differ from production with no secret blanked in them').to.deep.equal([]);
});

Then("the golden's manifest records the scrub: the rules applied, when, and how many secrets each blanked", function (this: SandboxWorld) {
  const manifest = manifestOf(this);
  expect(() => assertGoldenScrubbed(manifest, this.harness.golden.path)).to.not.throw();
  const { scrub, taken } = manifest;
  expect(Date.parse(scrub!.scrubbedAt), 'scrubbed after production was copied').to.be.at.least(Date.parse(taken.at));
  const named = [...Object.keys(scrub!.counts), ...scrub!.skipped].sort();
  expect(named, 'every rule has a count or is listed as skipped').to.deep.equal(scrub!.rules.map(ruleName).sort());
  expect(Object.values(scrub!.counts).reduce((a, b) => a + b, 0), 'secrets blanked').to.be.greaterThan(0);
});

Then("the golden's manifest keeps production's own fingerprints, taken before the scrub, beside the golden's", function (this: SandboxWorld) {
  const { production, data, catalog } = manifestOf(this);
  expect(production, "production's fingerprints").to.not.equal(undefined);
  expect(Object.keys(production!.data.tables), 'tables fingerprinted in production').to.deep.equal(Object.keys(data.tables));
  expect(production!.catalog, "production's catalog is the golden's").to.deep.equal(catalog);
});

Then('production still matches the fingerprints the manifest kept for it, secrets included', async function (this: SandboxWorld) {
  const { production } = manifestOf(this);
  expect(production, "production's fingerprints in the manifest").to.not.equal(undefined);
  const now = await this.harness.fingerprintProduction();
  expect(compareFingerprints(production!, now), 'production compared with its own fingerprints at seed time').to.deep.equal([]);
});

Then("it is refused because it may carry production's secrets, with the way to get a scrubbed one", function (this: SandboxWorld) {
  expect(this.acceptedGolden, 'accepted golden').to.equal(undefined);
  expect(this.lastError?.message).to.contain("records no scrub of production's secrets");
  expect(this.lastError?.message).to.contain('Use a golden seeded by the harness');
});

Then('it is accepted as scrubbed', function (this: SandboxWorld) {
  expect(this.lastError, 'error').to.equal(undefined);
  expect((this.acceptedGolden?.manifest as GoldenManifestWithScrub | undefined)?.scrub, 'the scrub recorded in its manifest').to.not.equal(undefined);
});
