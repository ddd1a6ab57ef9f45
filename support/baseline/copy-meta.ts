import type { ClientBase } from 'pg';
import { qualified } from '../db/ident';

/** Where the baseline copy lives unless configured otherwise: a harness-owned schema of the sandbox database. */
export const DEFAULT_BASELINE_SCHEMA = 'erp_sandbox_bdd';

/** The table of the copy schema that records when and from what the copy was made; never an application table. */
export const BASELINE_META_TABLE = 'bdd_meta';

export interface BaselineCopyMeta {
  madeAt: string;
  madeBy: string;
  appSchema: string;
  tablePattern: string;
  goldenSha256: string | null;
  tables: number;
}

export class BaselineCopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaselineCopyError';
  }
}

/** Reads the copy's record of itself; a missing or damaged copy is refused with what to do. */
export async function readBaselineMeta(client: ClientBase, copySchema: string): Promise<BaselineCopyMeta> {
  const meta = qualified(copySchema, BASELINE_META_TABLE);
  const { rows: [exists] } = await client.query<{ found: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS found', [meta]);
  if (!exists.found) {
    throw new BaselineCopyError(
      `There is no baseline copy in schema "${copySchema}" of the sandbox: the last reset did not make one (its post-reset SQL lacks ` +
        'baselineCopySql, or the schema name is configured differently), or the copy was dropped since. Reset the sandbox, then diff again.',
    );
  }
  const { rows } = await client.query<{ made_at: Date; made_by: string; app_schema: string; table_pattern: string; golden_sha256: string | null; tables: number }>(
    `SELECT made_at, made_by, app_schema, table_pattern, golden_sha256, tables FROM ${meta}`,
  );
  if (rows.length !== 1) {
    throw new BaselineCopyError(`The baseline copy's ${copySchema}.${BASELINE_META_TABLE} holds ${rows.length} rows instead of 1: the copy was tampered with. Reset the sandbox.`);
  }
  const [row] = rows;
  return { madeAt: row.made_at.toISOString(), madeBy: row.made_by, appSchema: row.app_schema, tablePattern: row.table_pattern, goldenSha256: row.golden_sha256, tables: row.tables };
}

/** Refuses a copy made for another application scope or from another golden than the caller expects. */
export function assertMetaFits(meta: BaselineCopyMeta, copySchema: string, expected: { appSchema: string; tablePattern: string; goldenSha256?: string }): void {
  const problems: string[] = [];
  if (meta.appSchema !== expected.appSchema || meta.tablePattern !== expected.tablePattern) {
    problems.push(`it copies tables LIKE '${meta.tablePattern}' of schema "${meta.appSchema}", expected '${expected.tablePattern}' of "${expected.appSchema}"`);
  }
  if (expected.goldenSha256 && meta.goldenSha256 && meta.goldenSha256 !== expected.goldenSha256) {
    problems.push(`it was made from the golden with sha256 ${meta.goldenSha256}, expected ${expected.goldenSha256}`);
  }
  if (problems.length) {
    throw new BaselineCopyError(`The baseline copy in schema "${copySchema}" (made ${meta.madeAt}) does not fit: ${problems.join('; ')}. Reset the sandbox with the current golden and configuration.`);
  }
}
