import type { ClientBase } from 'pg';
import { dataFingerprint, pinOutputSettings, type DataFingerprint, type TableFingerprint } from '../golden/fingerprint';
import type { AppScope } from '../golden/scope';
import { assertMetaFits, BaselineCopyError, BASELINE_META_TABLE, readBaselineMeta } from './copy-meta';

/**
 * Every way the copy's tables differ from the manifest's: a table missing, extra, or with other rows.
 * `found` holds the copy's fingerprints of the tables in `copyTables` that could be hashed.
 */
export function copyDifferences(expected: DataFingerprint, copyTables: string[], found: Record<string, TableFingerprint>): string[] {
  const differences: string[] = [];
  const describe = (f: TableFingerprint) => `${f.rows} rows, hash ${f.hash}`;
  for (const table of Object.keys(expected.tables).sort()) {
    if (!copyTables.includes(table)) differences.push(`table ${table} is missing from the copy`);
    else if (found[table] && describe(found[table]) !== describe(expected.tables[table])) {
      differences.push(`table ${table}: expected ${describe(expected.tables[table])}, found ${describe(found[table])}`);
    }
  }
  for (const table of copyTables.filter((t) => !expected.tables[t]).sort()) differences.push(`table ${table} is in the copy but not in the golden`);
  return differences;
}

export function baselineCopyMismatch(copySchema: string, differences: string[]): BaselineCopyError {
  return new BaselineCopyError(
    `The baseline copy in schema "${copySchema}" no longer matches the golden's manifest, so a diff against it would be wrong:\n` +
      differences.map((d) => `  - ${d}`).join('\n') +
      '\nSomething wrote to the copy since the last reset. Reset the sandbox to recreate it, and find what writes to that schema.',
  );
}

/**
 * Checks that the baseline copy holds exactly the golden's data: the same tables, each with the row count
 * and content hash the manifest recorded (hashed exactly as the manifest was). Runs in its own read-only
 * transaction; call it outside one.
 */
export async function assertBaselineCopyMatches(client: ClientBase, scope: AppScope, copySchema: string, expected: DataFingerprint): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await pinOutputSettings(client);
    assertMetaFits(await readBaselineMeta(client, copySchema), copySchema, { appSchema: scope.schema, tablePattern: scope.tablePattern });
    const { rows } = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> $2 ORDER BY c.relname`,
      [copySchema, BASELINE_META_TABLE],
    );
    const copyTables = rows.map((r) => r.relname);
    // The copy holds no sequences, so this hashes its tables only, with the very SQL the manifest was made with.
    const found = await dataFingerprint(client, { schema: copySchema, tablePattern: '%' }, copyTables);
    const differences = copyDifferences(expected, copyTables, found.tables);
    if (differences.length) throw baselineCopyMismatch(copySchema, differences);
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}
