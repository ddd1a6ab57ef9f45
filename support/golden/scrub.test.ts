import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureSql } from '../../fixtures';
import { withClient } from '../db/connect';
import { requirePgBinaries } from '../pgtools/binaries';
import { canonicalReset } from '../reset/canonical-reset';
import { startSeededSandbox, type SeededSandbox } from '../testing/throwaway-sandbox';
import { compareFingerprints, fingerprintDatabase } from './fingerprint';
import { openGolden } from './golden';
import { fingerprintsOf, manifestPathFor, readManifest } from './manifest';
import { assertGoldenScrubbed, productionFingerprintsOf, remainingSecrets, scrubGolden, withoutScrubRecord, type GoldenManifestWithScrub, type ScrubbedGolden } from './scrub';

const SECRET_CONSTS = ['MAIN_MAIL_SMTPS_PW', 'STRIPE_LIVE_PUBLISHABLE_KEY', 'STRIPE_LIVE_SECRET_KEY', 'STRIPE_TEST_SECRET_KEY', 'OAUTH_GOOGLE_SECRET', 'CRON_KEY', 'PAYMENT_SECURITY_TOKEN', 'MAIN_SECURITY_SALT'];

describe('scrubbing the golden through the sandbox, on the Dolibarr fixture', () => {
  let seeded: SeededSandbox;
  let scrubbed: ScrubbedGolden;
  let dir: string;
  /** Every secret value production holds, read as the provisioner. */
  let secrets: string[];

  const prod = () => seeded.sandbox.superuser('erp');
  const inSandbox = <T>(work: Parameters<typeof withClient<T>>[1]) => withClient(seeded.sandbox.runtime, work);
  const archiveText = (path: string) => execFileSync(requirePgBinaries(undefined, false).path('pg_restore'), ['--file=-', path], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
  const scrub = (outFile: string, rules?: Parameters<typeof scrubGolden>[0]['rules']) =>
    scrubGolden({ tools: seeded.sandbox.tools, raw: seeded.golden, runtime: seeded.sandbox.runtime, identity: seeded.target.identity, scope: seeded.sandbox.scope, outFile, rules });

  before(async () => {
    seeded = await startSeededSandbox({ appSql: fixtureSql('small') });
    dir = mkdtempSync(join(tmpdir(), 'scrub-test-'));
    secrets = await withClient(prod(), async (c) => {
      const { rows } = await c.query<{ v: string }>(
        `SELECT v FROM (SELECT unnest(ARRAY[api_key, pass, pass_crypted, pass_temp]) AS v FROM llx_user
                        UNION ALL SELECT value FROM llx_const WHERE name = ANY($1)) s WHERE v IS NOT NULL AND v <> ''`,
        [SECRET_CONSTS],
      );
      return rows.map((r) => r.v);
    });
    scrubbed = await scrub(join(dir, 'erp.golden.dump'));
  });
  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await seeded?.stop();
  });

  test('production holds the secrets the scrub must remove (the fixture is a fair test)', async () => {
    assert.equal(secrets.length, 6 + 2 + SECRET_CONSTS.length, '6 password hashes, 2 API keys, the secret settings');
    const left = await withClient(prod(), (c) => remainingSecrets(c, 'public'));
    assert.deepEqual(Object.fromEntries(left.map((r) => [r.rule, r.rows])), {
      "users' API keys": 2,
      "users' clear passwords": 0,
      "users' password hashes": 6,
      "users' temporary passwords": 0,
      'settings holding a password, key, secret, token or salt': SECRET_CONSTS.length,
      "third parties' web services keys": 0,
    });
    const raw = archiveText(seeded.golden.path);
    assert.ok(secrets.every((s) => raw.includes(s)), 'the raw dump carries every secret');
  });

  test('restoring the scrubbed golden leaves no API key, no password and no secret setting', async () => {
    await canonicalReset({ ...seeded.target, golden: scrubbed });
    const left = await inSandbox((c) => remainingSecrets(c, 'public'));
    assert.ok(left.length >= 6);
    assert.deepEqual(left.filter((r) => r.rows > 0), []);
    const { users, consts } = await inSandbox(async (c) => ({
      users: (await c.query(`SELECT count(*)::int AS n FROM llx_user WHERE api_key IS NOT NULL OR pass IS NOT NULL OR pass_crypted IS NOT NULL OR pass_temp IS NOT NULL`)).rows[0].n as number,
      consts: (await c.query<{ name: string; value: string }>(`SELECT name, value FROM llx_const WHERE name = ANY($1) ORDER BY name`, [SECRET_CONSTS])).rows,
    }));
    assert.equal(users, 0);
    assert.deepEqual(consts, [...SECRET_CONSTS].sort().map((name) => ({ name, value: '' })));
    const text = archiveText(scrubbed.path);
    assert.deepEqual(secrets.filter((s) => text.includes(s)), [], 'no secret of production anywhere in the scrubbed archive');
  });

  test('everything else is production\'s: the other settings, every row, the tms of scrubbed rows, keys and triggers', async () => {
    await canonicalReset({ ...seeded.target, golden: scrubbed });
    const query = `SELECT rowid, name, value, tms::text FROM llx_const WHERE NOT (name = ANY($1)) ORDER BY rowid`;
    const inProd = await withClient(prod(), (c) => c.query(query, [SECRET_CONSTS]));
    const inGolden = await inSandbox((c) => c.query(query, [SECRET_CONSTS]));
    assert.equal(inProd.rows.length, 42 - SECRET_CONSTS.length);
    assert.deepEqual(inGolden.rows, inProd.rows);
    const stamps = `SELECT 'c' || rowid, tms::text FROM llx_const UNION ALL SELECT 'u' || rowid, tms::text FROM llx_user ORDER BY 1`;
    assert.deepEqual((await inSandbox((c) => c.query(stamps))).rows, (await withClient(prod(), (c) => c.query(stamps))).rows, 'scrubbed rows keep their tms');

    const production = await withClient(seeded.sandbox.prodDump, (c) => fingerprintDatabase(c, seeded.sandbox.scope));
    const differences = compareFingerprints(production, fingerprintsOf(scrubbed.manifest));
    assert.deepEqual(differences.map((d) => d.what), ['table llx_const', 'table llx_user'], 'only the scrubbed tables differ, and only by their values');
    for (const [table, t] of Object.entries(production.data.tables)) assert.equal(scrubbed.manifest.data.tables[table].rows, t.rows, `${table} rows`);
    assert.deepEqual(compareFingerprints(fingerprintsOf(scrubbed.manifest), await inSandbox((c) => fingerprintDatabase(c, seeded.sandbox.scope))), [], 'the restore matches the golden\'s manifest');
  });

  test('the manifest records the scrub, production\'s own fingerprints and where the data was taken', async () => {
    const manifest = readManifest(manifestPathFor(scrubbed.path)) as GoldenManifestWithScrub;
    assert.deepEqual(manifest, JSON.parse(JSON.stringify(scrubbed.manifest)));
    const production = await withClient(seeded.sandbox.prodDump, (c) => fingerprintDatabase(c, seeded.sandbox.scope));
    assert.deepEqual(manifest.production, production);
    assert.deepEqual(productionFingerprintsOf(manifest), production);
    assert.deepEqual(productionFingerprintsOf(seeded.golden.manifest!), production, 'an unscrubbed golden\'s fingerprints are production\'s');
    assert.deepEqual(manifest.taken, seeded.golden.manifest!.taken, 'taken from production by the read-only role');
    assert.equal(manifest.taken.by, seeded.sandbox.prodDump.user);
    const scrub = manifest.scrub!;
    assert.ok(Date.parse(scrub.scrubbedAt) >= Date.parse(manifest.taken.at));
    assert.equal(scrub.by, seeded.sandbox.runtime.user);
    assert.equal(scrub.in.database, 'erp-sandbox');
    assert.deepEqual(scrub.counts, {
      "users' API keys": 2,
      "users' clear passwords": 0,
      "users' password hashes": 6,
      "users' temporary passwords": 0,
      'settings holding a password, key, secret, token or salt': SECRET_CONSTS.length,
      "third parties' web services keys": 0,
    });
    assert.ok(scrub.skipped.includes('OAuth tokens'), 'rules for tables this Dolibarr lacks are skipped, and say so');
    assert.equal(scrub.rules.length, Object.keys(scrub.counts).length + scrub.skipped.length);
    await openGolden(scrubbed.path, seeded.sandbox.tools, false);
    assert.doesNotThrow(() => assertGoldenScrubbed(manifest, scrubbed.path));
    const schemas = await inSandbox((c) => c.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'erp_sandbox_bdd_scrub'`));
    assert.equal(schemas.rowCount, 0, 'the scrub leaves nothing of its own in the sandbox');
  });

  test('production is untouched by the scrub', async () => {
    const production = await withClient(seeded.sandbox.prodDump, (c) => fingerprintDatabase(c, seeded.sandbox.scope));
    assert.deepEqual(compareFingerprints(fingerprintsOf(seeded.golden.manifest!), production), []);
  });

  test('a rule that would put NULL in a NOT NULL column stops the scrub: no golden, the sandbox as it was', async () => {
    await canonicalReset({ ...seeded.target, golden: scrubbed });
    const beforeState = await inSandbox((c) => fingerprintDatabase(c, seeded.sandbox.scope));
    const out = join(dir, 'bad.dump');
    await assert.rejects(scrub(out, [{ table: 'llx_const', column: 'value', replacement: null }]), /scrub rule "llx_const\.value": llx_const\.value is NOT NULL[\s\S]*replacement text/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(compareFingerprints(beforeState, await inSandbox((c) => fingerprintDatabase(c, seeded.sandbox.scope))), []);
  });

  test('the live profile\'s check refuses a golden whose manifest records no scrub, saying what to do', () => {
    const copy = withoutScrubRecord(scrubbed);
    try {
      const manifest = readManifest(manifestPathFor(copy.path)) as GoldenManifestWithScrub;
      assert.equal(manifest.scrub, undefined);
      assert.throws(() => assertGoldenScrubbed(manifest, copy.path), (error: Error) => {
        assert.match(error.message, /Refusing .*erp\.golden\.dump: its manifest records no scrub of production's secrets/);
        assert.match(error.message, /Expected a "scrub" entry .*found none/);
        assert.match(error.message, /Use a golden seeded by the harness/);
        return true;
      });
    } finally {
      copy.cleanup();
    }
    assert.throws(() => assertGoldenScrubbed(seeded.golden.manifest), /records no scrub/);
    assert.throws(() => assertGoldenScrubbed(undefined, 'g.dump'), /Refusing g\.dump: it has no manifest[\s\S]*BDD_GOLDEN_UNVERIFIED=accept does not lift this check/);
    const cut = { ...scrubbed.manifest, scrub: { ...scrubbed.manifest.scrub, scrubbedAt: 'yesterday', rules: [] } };
    assert.throws(() => assertGoldenScrubbed(cut), /records a scrub, but without valid rules, scrubbedAt: the manifest was cut short or edited/);
  });
});

describe('scrubbing a golden that has none of Dolibarr\'s tables', () => {
  let seeded: SeededSandbox;
  let dir: string;

  before(async () => {
    seeded = await startSeededSandbox();
    dir = mkdtempSync(join(tmpdir(), 'scrub-tiny-test-'));
  });
  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await seeded?.stop();
  });

  const scrub = (outFile: string, rules?: Parameters<typeof scrubGolden>[0]['rules']) =>
    scrubGolden({ tools: seeded.sandbox.tools, raw: seeded.golden, runtime: seeded.sandbox.runtime, identity: seeded.target.identity, scope: seeded.sandbox.scope, outFile, rules });

  test('the default rules are all skipped, and the golden is production\'s data exactly', async () => {
    const golden = await scrub(join(dir, 'default.dump'));
    assert.deepEqual(golden.manifest.scrub.counts, {});
    assert.equal(golden.manifest.scrub.skipped.length, golden.manifest.scrub.rules.length);
    assert.deepEqual(compareFingerprints(fingerprintsOf(seeded.golden.manifest!), fingerprintsOf(golden.manifest)), []);
    assert.deepEqual(golden.manifest.production, fingerprintsOf(seeded.golden.manifest!));
  });

  test('a rule of its own blanks only the matching rows, leaves their triggers\' stamps and the triggers themselves as they were', async () => {
    const golden = await scrub(join(dir, 'own.dump'), [{ name: 'labels of P1*', table: 'llx_parent', column: 'label', where: { column: 'code', matches: '^p1', unless: '^P12' }, replacement: 'scrubbed' }]);
    // P1, P10..P19, P100..P199 match case-insensitively; P12 and P120..P129 are spared.
    assert.deepEqual(golden.manifest.scrub.counts, { 'labels of P1*': 1 + 10 + 100 - 1 - 10 });
    await canonicalReset({ ...seeded.target, golden });
    const { rows } = await withClient(seeded.sandbox.runtime, (c) =>
      c.query<{ scrubbed: number; stamped: number }>(`SELECT count(*) FILTER (WHERE label = 'scrubbed')::int AS scrubbed, count(tms)::int AS stamped FROM llx_parent`));
    assert.deepEqual(rows, [{ scrubbed: 100, stamped: 0 }]);
    const differences = compareFingerprints(fingerprintsOf(seeded.golden.manifest!), fingerprintsOf(golden.manifest)).map((d) => d.what);
    assert.deepEqual(differences, ['table llx_parent'], 'the trigger is enabled again: the catalog is production\'s');
  });
});
