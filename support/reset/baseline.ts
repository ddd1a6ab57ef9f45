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
 * golden's manifest exactly, and the catalog must equal it whole. Tables the steps touch (declared by
 * them) take the sandbox's values, which every later reset must then reproduce.
 * Without a manifest (an unverified golden) the sandbox after the first reset is the baseline as it is.
 */
export async function establishBaseline(client: ClientBase, scope: AppScope, golden: Fingerprints | undefined, touchedTables: string[]): Promise<Fingerprints> {
  const found = await fingerprintDatabase(client, scope);
  if (!golden) return found;
  const { rows } = await client.query<{ seq: string }>(
    `SELECT s.relname AS seq FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid
       JOIN pg_catalog.pg_class t ON t.oid = d.refobjid JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND s.relkind = 'S' AND n.nspname = $1 AND t.relname = ANY($2::text[])`,
    [scope.schema, touchedTables],
  );
  const allowed = new Set([...touchedTables.map((t) => `table ${t}`), ...rows.map((r) => `sequence ${r.seq}`)]);
  const unexpected = compareFingerprints(golden, found).filter((d) => !allowed.has(d.what));
  if (unexpected.length) {
    throw new BaselineError(
      `After the reset the sandbox does not match the golden's manifest:\n${unexpected.map((d) => `  - ${d.what}: expected ${d.expected}, found ${d.found}`).join('\n')}\n` +
        'The restore did not reproduce the golden (or a post-reset step changed something it does not declare). Nothing else was run.',
    );
  }
  return found;
}
