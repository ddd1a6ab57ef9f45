import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { withClient, type PgConnection } from '../db/connect';
import { qualified, quoteIdent } from '../db/ident';
import type { SandboxIdentity } from '../guard/sandbox-guard';
import type { PgTools } from '../pgtools/tools';
import { canonicalReset } from '../reset/canonical-reset';
import { compareFingerprints, type Fingerprints } from './fingerprint';
import { GoldenError, type Golden } from './golden';
import { fingerprintsOf, manifestPathFor, writeManifest, type GoldenManifest, type ScrubRecord } from './manifest';
import type { AppScope } from './scope';
import { DEFAULT_SCRUB_RULES, checkScrubRules, remainingSecrets, ruleName, scrubSql, type ScrubRule } from './scrub-rules';
import { seedGolden } from './seed';

export { DEFAULT_SCRUB_RULES, remainingSecrets, scrubSql, type ScrubRule } from './scrub-rules';

/** A golden manifest that may record a scrub (the fields live in manifest.ts, the one manifest format). */
export type GoldenManifestWithScrub = GoldenManifest;
export type { ScrubRecord };

/** A golden whose manifest records its scrub. */
export interface ScrubbedGolden extends Golden {
  manifest: GoldenManifestWithScrub & Required<Pick<GoldenManifestWithScrub, 'scrub' | 'production'>>;
}

/** Harness-owned schema, in the sandbox, where the scrub leaves its counts until they are read; never in a golden. */
export const SCRUB_REPORT_SCHEMA = 'erp_sandbox_bdd_scrub';

/**
 * Production's own fingerprints as the manifest records them: those taken before the scrub when the golden
 * was scrubbed, otherwise the golden's (an unscrubbed golden is production's data as it was).
 */
export function productionFingerprintsOf(manifest: GoldenManifestWithScrub): Fingerprints {
  return manifest.production ?? fingerprintsOf(manifest);
}

export interface ScrubGoldenOptions {
  tools: PgTools;
  /** The raw dump of production, with its manifest. It is read, never changed or removed. */
  raw: Golden;
  /** Runtime credentials on the sandbox database: the scrub restores, scrubs and dumps there. */
  runtime: PgConnection;
  identity: SandboxIdentity;
  scope: AppScope;
  /** Where the scrubbed golden goes, its manifest beside it. */
  outFile: string;
  rules?: readonly ScrubRule[];
  /** How long the restore waits for another session's locks (default 10 s). */
  lockTimeoutMs?: number;
}

/**
 * Scrubs production's secrets out of a golden. The read-only role that dumps production cannot change rows,
 * so the scrub happens in the sandbox: as the runtime role, in ONE transaction, DROP OWNED, restore the raw
 * dump and apply the scrub rules (the canonical reset with the scrub as its post-reset step; the raw rows are
 * never committed in the sandbox); then pg_dump the sandbox's application scope as the golden. Its manifest
 * records the golden's own fingerprints, production's fingerprints from before the scrub, the origin of the
 * raw dump (`taken`), and the scrub: rules, time, and values blanked per rule.
 *
 * Checks before writing the manifest: no value the rules cover is left, every table keeps production's rows,
 * and nothing but the scrubbed tables' values differs from the raw dump (catalog and sequences included).
 * The sandbox is left holding the scrubbed golden without the post-reset steps: reset it before use.
 */
export async function scrubGolden(options: ScrubGoldenOptions): Promise<ScrubbedGolden> {
  const { tools, raw, runtime, identity, scope, outFile } = options;
  const rules = [...(options.rules ?? DEFAULT_SCRUB_RULES)];
  checkScrubRules(rules);
  if (!raw.manifest) {
    throw new GoldenError(
      `The golden ${raw.path} has no manifest, so production's fingerprints before the scrub would be unknown: expected the manifest the seed wrote beside it. ` +
        'Scrub a golden seeded by the harness, with its manifest.',
    );
  }
  if (resolve(outFile) === resolve(raw.path)) {
    throw new GoldenError(`The scrubbed golden must be written beside the raw dump, not over it: both are ${outFile}. Give another output path.`);
  }
  const report = { schema: SCRUB_REPORT_SCHEMA, table: 'counts' };
  await canonicalReset({ tools, runtime, identity, golden: raw, postReset: scrubSql(rules, scope.schema, report), lockTimeoutMs: options.lockTimeoutMs ?? 10_000 });
  const scrubbedAt = new Date().toISOString();

  const { counts, skipped, left } = await withClient(runtime, async (client) => {
    const { rows } = await client.query<{ rule: string; status: string; blanked: string }>(`SELECT rule, status, blanked::text FROM ${qualified(report.schema, report.table)} ORDER BY position`);
    await client.query(`DROP SCHEMA ${quoteIdent(report.schema)} CASCADE`);
    return {
      counts: Object.fromEntries(rows.filter((r) => r.status === 'scrubbed').map((r) => [r.rule, Number(r.blanked)])),
      skipped: rows.filter((r) => r.status === 'skipped').map((r) => r.rule),
      left: (await remainingSecrets(client, scope.schema, rules)).filter((r) => r.rows > 0),
    };
  });
  if (left.length) {
    throw new GoldenError(
      `The scrub left secrets in the sandbox: ${left.map((r) => `${r.rule} (${r.table}.${r.column}): ${r.rows} row(s)`).join('; ')}. ` +
        'No golden was written. Something wrote to the sandbox between the scrub and this check (is the sandbox Dolibarr running?); stop it and seed again.',
    );
  }

  try {
    const seeded = await seedGolden(tools, runtime, scope, outFile);
    const before = fingerprintsOf(raw.manifest);
    const after = fingerprintsOf(seeded.manifest!);
    const scrubbedTables = new Set(rules.filter((r) => (counts[ruleName(r)] ?? 0) > 0).map((r) => r.table));
    const beyondScrub = compareFingerprints(before, after).filter((d) => {
      const table = /^table (.+)$/.exec(d.what)?.[1];
      return !(table && scrubbedTables.has(table) && before.data.tables[table]?.rows === after.data.tables[table]?.rows);
    });
    if (beyondScrub.length) {
      throw new GoldenError(
        `The scrubbed golden differs from the raw dump beyond the scrub, so it would not be production minus its secrets:\n` +
          beyondScrub.map((d) => `  - ${d.what}: expected ${d.expected}, found ${d.found}`).join('\n') +
          '\nNo golden was written. Something else changed the sandbox while the golden was being taken (is the sandbox Dolibarr running?); stop it and seed again.',
      );
    }
    const manifest: ScrubbedGolden['manifest'] = {
      ...seeded.manifest!,
      // The data comes from production, taken by the read-only role; the scrub says who changed it since.
      taken: raw.manifest.taken,
      scrub: { rules, scrubbedAt, counts, skipped, by: runtime.user, in: { host: runtime.host, port: runtime.port, database: runtime.database }, tools: tools.description },
      production: productionFingerprintsOf(raw.manifest),
    };
    writeManifest(outFile, manifest);
    return { ...seeded, manifest };
  } catch (error) {
    rmSync(outFile, { force: true });
    rmSync(manifestPathFor(outFile), { force: true });
    throw error;
  }
}

export interface SeedScrubbedGoldenOptions extends Omit<ScrubGoldenOptions, 'raw'> {
  /** The read-only role's connection to production. */
  prod: PgConnection;
}

/**
 * The whole seed: dumps production as the read-only role into a private temporary directory, scrubs it
 * through the sandbox into `outFile`, and removes the raw dump (which holds production's secrets) whatever
 * happens.
 */
export async function seedScrubbedGolden(options: SeedScrubbedGoldenOptions): Promise<ScrubbedGolden> {
  const dir = mkdtempSync(join(tmpdir(), 'erp-sandbox-bdd-raw-'));
  try {
    const raw = await seedGolden(options.tools, options.prod, options.scope, join(dir, 'production.raw.dump'));
    return await scrubGolden({ ...options, raw });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Refuses a golden whose manifest does not record a scrub (the live profile's check): such a golden may carry
 * production's API keys, password hashes and stored passwords into the sandbox.
 */
export function assertGoldenScrubbed(manifest: GoldenManifestWithScrub | undefined, goldenPath = 'the golden'): asserts manifest is GoldenManifestWithScrub & { scrub: ScrubRecord } {
  const remedy =
    'Use a golden seeded by the harness (it restores production\'s dump into the sandbox, scrubs it and dumps the result: scrubGolden in support/golden/scrub.ts), ' +
    'with the manifest written beside it.';
  if (!manifest) {
    throw new GoldenError(
      `Refusing ${goldenPath}: it has no manifest, so nothing shows that production's secrets were scrubbed from it. ` +
        `Expected a manifest that records the scrub. BDD_GOLDEN_UNVERIFIED=accept does not lift this check. ${remedy}`,
    );
  }
  const scrub = manifest.scrub as Partial<ScrubRecord> | undefined;
  if (!scrub) {
    throw new GoldenError(
      `Refusing ${goldenPath}: its manifest records no scrub of production's secrets, so it may carry production's API keys, password hashes, ` +
        `and stored passwords, keys and tokens. Expected a "scrub" entry (the rules applied, when, and how many values each blanked); found none. ${remedy}`,
    );
  }
  const missing = [
    !Array.isArray(scrub.rules) || !scrub.rules.length ? 'rules' : '',
    typeof scrub.scrubbedAt !== 'string' || Number.isNaN(Date.parse(scrub.scrubbedAt)) ? 'scrubbedAt' : '',
    !scrub.counts || typeof scrub.counts !== 'object' ? 'counts' : '',
  ].filter(Boolean);
  if (missing.length) {
    throw new GoldenError(`Refusing ${goldenPath}: its manifest records a scrub, but without valid ${missing.join(', ')}: the manifest was cut short or edited. ${remedy}`);
  }
}

/** A copy of a golden whose manifest no longer records the scrub (for the scenario that proves it is refused). */
export function withoutScrubRecord(golden: Golden): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'erp-sandbox-bdd-golden-'));
  const path = join(dir, basename(golden.path));
  copyFileSync(golden.path, path);
  if (golden.manifest) {
    const { scrub, production, ...unscrubbed } = golden.manifest as GoldenManifestWithScrub;
    writeManifest(path, unscrubbed);
  }
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
