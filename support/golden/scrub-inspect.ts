import type { ClientBase } from 'pg';
import { qualified } from '../db/ident';
import { canonicalReset, type ResetResult, type ResetTarget } from '../reset/canonical-reset';
import type { TableFingerprint } from './fingerprint';
import { productionFingerprintsOf, type GoldenManifestWithScrub } from './scrub';
import { DEFAULT_SCRUB_RULES, remainingSecrets, ruleName, type RemainingSecret, type ScrubRule } from './scrub-rules';

/*
 * What the secrets scenarios look at: the golden's own content (restored without the post-reset steps, which
 * add the agent's user and key), and what its manifest says about the scrub.
 */

/** Restores the golden into the sandbox as it is: the canonical reset with no post-reset step. */
export function restoreGoldenAlone(target: Omit<ResetTarget, 'postReset'>): Promise<ResetResult> {
  return canonicalReset({ ...target, postReset: '' });
}

/**
 * The secrets of one table left in the connected database, by the default rules (or `rules`). Refuses to
 * answer "none" when the table has none of the rules' columns: that would prove nothing.
 */
export async function secretsLeftIn(client: ClientBase, appSchema: string, table: string, rules: readonly ScrubRule[] = DEFAULT_SCRUB_RULES): Promise<RemainingSecret[]> {
  const forTable = rules.filter((r) => r.table === table);
  const found = await remainingSecrets(client, appSchema, forTable);
  if (!found.length) {
    throw new Error(`None of the scrub rules for ${table} (${forTable.map(ruleName).join(', ') || 'there are none'}) applies here: the table or its columns are missing, so its secrets cannot be checked.`);
  }
  return found.filter((r) => r.rows > 0);
}

/** The settings (Dolibarr's llx_const) of the given names, name -> value. */
export async function settingsNamed(client: ClientBase, appSchema: string, names: string[]): Promise<Record<string, string>> {
  const { rows } = await client.query<{ name: string; value: string }>(
    `SELECT name, value FROM ${qualified(appSchema, 'llx_const')} WHERE name = ANY($1) AND entity IN (0, 1) ORDER BY name, entity`,
    [names],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

/** Every setting the default rules do not treat as a secret, as "name@entity" -> value, in a stable order. */
export async function nonSecretSettings(client: ClientBase, appSchema: string): Promise<Record<string, string>> {
  const rule = DEFAULT_SCRUB_RULES.find((r) => r.table === 'llx_const' && r.where);
  if (!rule?.where) throw new Error('The default scrub rules have no rule for settings (llx_const).');
  const { rows } = await client.query<{ key: string; value: string }>(
    `SELECT name || '@' || entity AS key, value FROM ${qualified(appSchema, 'llx_const')}
      WHERE NOT (name ~* $1) OR name ~* $2 ORDER BY name, entity`,
    [rule.where.matches, rule.where.unless ?? '$^'],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export interface GoldenVersusProduction {
  /** Tables whose row count differs from production's. */
  rowCountsDiffer: string[];
  /** Tables whose content differs from production's although the scrub blanked nothing in them. */
  changedBeyondScrub: string[];
  /** Tables the scrub blanked values in. */
  scrubbedTables: string[];
}

/** From the manifest alone: how the golden's tables compare with production's fingerprints taken before the scrub. */
export function goldenVersusProduction(manifest: GoldenManifestWithScrub): GoldenVersusProduction {
  const production = productionFingerprintsOf(manifest).data.tables;
  const golden = manifest.data.tables;
  const rules = manifest.scrub?.rules ?? [];
  const scrubbedTables = [...new Set(rules.filter((r) => (manifest.scrub?.counts[ruleName(r)] ?? 0) > 0).map((r) => r.table))].sort();
  const tables = [...new Set([...Object.keys(production), ...Object.keys(golden)])].sort();
  const same = (a?: TableFingerprint, b?: TableFingerprint) => a?.rows === b?.rows && a?.hash === b?.hash;
  return {
    rowCountsDiffer: tables.filter((t) => production[t]?.rows !== golden[t]?.rows),
    changedBeyondScrub: tables.filter((t) => !same(production[t], golden[t]) && !scrubbedTables.includes(t)),
    scrubbedTables,
  };
}
