import type { ClientBase } from 'pg';
import { compareFingerprints, fingerprintDatabase, type Fingerprints } from '../golden/fingerprint';
import type { AppScope } from '../golden/scope';

export class BaselineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaselineError';
  }
}

/**
 * The baseline is the golden plus the post-reset steps. Right after the first reset of a run it is read
 * from the sandbox, and checked: every table and sequence the post-reset steps do not touch must equal the
 * golden's manifest exactly, and the catalog must equal it whole. Tables and sequences the steps declare
 * they change take the sandbox's values, which every later reset must then reproduce.
 * Without a manifest (an unverified golden) the sandbox after the first reset is the baseline as it is.
 */
export async function establishBaseline(client: ClientBase, scope: AppScope, golden: Fingerprints | undefined, declaredByPostReset: (what: string) => boolean): Promise<Fingerprints> {
  const found = await fingerprintDatabase(client, scope);
  if (!golden) return found;
  const unexpected = compareFingerprints(golden, found).filter((d) => !declaredByPostReset(d.what));
  if (unexpected.length) {
    throw new BaselineError(
      `After the reset the sandbox does not match the golden's manifest:\n${unexpected.map((d) => `  - ${d.what}: expected ${d.expected}, found ${d.found}`).join('\n')}\n` +
        'The restore did not reproduce the golden (or a post-reset step changed something it does not declare). Nothing else was run.',
    );
  }
  return found;
}
