import { withClient, type PgConnection } from '../db/connect';
import { quoteIdent } from '../db/ident';
import { assertMatchesManifest, type Golden } from '../golden/golden';
import { assertIsSandbox, type SandboxIdentity } from '../guard/sandbox-guard';
import type { PgTools } from '../pgtools/tools';
import { explainLockTimeout } from '../lock/blockers';

export interface ResetTarget {
  tools: PgTools;
  /** Runtime credentials on the sandbox database. */
  runtime: PgConnection;
  identity: SandboxIdentity;
  golden: Golden;
  /** SQL applied after the restore, in the same transaction. */
  postReset: string;
  /** How long the reset waits for another session's locks before giving up. */
  lockTimeoutMs: number;
}

export interface ResetResult {
  ms: number;
}

/**
 * The ADR's reset, made atomic: as the runtime role, DROP OWNED BY the sandbox owner, restore the golden
 * with --no-owner --role=<owner> and no privileges, and apply the post-reset steps, all in ONE transaction.
 * A corrupt golden, a failing statement or a killed process leaves the sandbox exactly as it was.
 */
export async function canonicalReset(target: ResetTarget): Promise<ResetResult> {
  const started = performance.now();
  await assertMatchesManifest(target.golden);
  await withClient(target.runtime, (client) => assertIsSandbox(client, target.identity));
  const owner = quoteIdent(target.identity.sandboxOwner);
  try {
    await target.tools.restoreInOneTransaction(target.runtime, target.golden.path, {
      // The login's own objects go too: anything created without SET ROLE would otherwise survive the reset.
      before: `SET LOCAL lock_timeout = ${Math.max(1, Math.round(target.lockTimeoutMs))};\nDROP OWNED BY CURRENT_USER, ${owner} CASCADE;`,
      after: target.postReset,
      restoreArgs: ['--no-owner', '--no-privileges', `--role=${target.identity.sandboxOwner}`, '--exit-on-error'],
    });
  } catch (error) {
    // Blocked by another session's locks: name the sessions instead of psql's bare "lock timeout".
    throw await explainLockTimeout(error, target.runtime, { lockTimeoutMs: target.lockTimeoutMs });
  }
  return { ms: performance.now() - started };
}
