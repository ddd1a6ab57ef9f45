import type { ClientBase } from 'pg';
import { assertMetaFits, BASELINE_META_TABLE, readBaselineMeta } from '../baseline/copy-meta';
import { baselineCopyMismatch, copyDifferences } from '../baseline/verify-copy';
import { pinOutputSettings, type DataFingerprint, type TableFingerprint } from '../golden/fingerprint';
import { buildChanges, type TableRowDiff } from './build-changes';
import { readSchemaCatalog, type TableInfo } from '../db/table-catalog';
import { CHANGE_SET_FORMAT, CHANGE_SET_VERSION, type AlteredTable, type ChangeSet } from './change-set';
import { diffRows } from './changed-rows';
import { compareTables, type TableComparison } from './changed-tables';
import { secretColumnTest } from './secrets';

/** Columns that differ run to run (set by triggers or on creation): not a change by themselves. */
export const DEFAULT_IGNORED_COLUMNS: readonly string[] = ['tms', 'datec', 'date_creation', 'date_valid', 'import_key'];

/** Columns whose values never leave the database in a change set. */
export const DEFAULT_SECRET_COLUMNS = /pass|api_?key|secret|token/i;

export interface DiffOptions {
  appSchema: string;
  /** SQL LIKE pattern of the application's tables, e.g. llx\_% */
  tablePattern: string;
  /** The schema baselineCopySql made at the last reset. */
  copySchema: string;
  ignoredColumns?: readonly string[];
  secretColumns?: RegExp;
  goldenSha256: string;
  /**
   * The golden manifest's data fingerprint: when given, the copy is checked against it on the way (its
   * hashes are computed anyway), and a copy written to since the reset is refused instead of diffed.
   */
  baselineFingerprint?: DataFingerprint;
  /**
   * Called inside the diff's transaction: what can differ from the copy, when something can prove it (the
   * fast reset's change tracking, which also proves that no DDL touched the application or the copy since the
   * copy was made), or undefined when it cannot. Given a list, only those tables are read, and only their
   * listed rows compared: the diff then costs what the scenario changed, not what the sandbox holds. The copy
   * is not hashed against the manifest then: what proves there was no DDL also proves its guard was never lifted.
   */
  changedTables?: (client: ClientBase) => Promise<KnownChange[] | undefined>;
}

/** A table that may differ from the copy, and which of its rows. */
export interface KnownChange {
  table: string;
  /** A SELECT of the primary key values (in key order) of the only rows that may differ; absent: any row. */
  keysSql?: string;
}

/**
 * Everything the sandbox's application tables hold that the baseline copy does not, row by row, from one
 * consistent snapshot (its own REPEATABLE READ READ ONLY transaction: call it outside one). Changed tables
 * are found inside PostgreSQL; only their differing rows reach Node.
 */
export async function diffSandbox(client: ClientBase, options: DiffOptions): Promise<ChangeSet> {
  const ignored = [...(options.ignoredColumns ?? DEFAULT_IGNORED_COLUMNS)];
  const secretColumns = options.secretColumns ?? DEFAULT_SECRET_COLUMNS;
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await pinOutputSettings(client);
    const meta = await readBaselineMeta(client, options.copySchema);
    assertMetaFits(meta, options.copySchema, options);
    const known = await options.changedTables?.(client);
    const [sandboxOthers, baselineOthers] = known
      ? await Promise.all([options.appSchema, options.copySchema].map((schema) => tablesBut(client, schema, known.map((k) => k.table))))
      : [[], []];
    const sandbox = await readSchemaCatalog(client, options.appSchema, options.tablePattern, sandboxOthers);
    const baseline = await readSchemaCatalog(client, options.copySchema, '%', [BASELINE_META_TABLE, ...baselineOthers]);
    const common = [...sandbox.tables.keys()].filter((t) => baseline.tables.has(t));
    // With known changes every listed table is diffed (by its listed rows); otherwise hashes pick the changed ones.
    const comparisons = known ? undefined : await compareTables(client, options.appSchema, options.copySchema, common);
    if (options.baselineFingerprint && comparisons) assertCopyUntouched(options, [...baseline.tables.values()], comparisons);

    const rowDiffs: TableRowDiff[] = [];
    const altered: AlteredTable[] = [];
    for (const table of common) {
      const s = sandbox.tables.get(table)!;
      const b = baseline.tables.get(table)!;
      const addedColumns = s.columns.filter((c) => !b.columns.includes(c));
      const droppedColumns = b.columns.filter((c) => !s.columns.includes(c));
      if (addedColumns.length || droppedColumns.length) altered.push({ table, addedColumns, droppedColumns });
      if (comparisons && !comparisons.find((c) => c.table === table)!.changed) continue;
      const key = joinKey(s, b);
      const keysSql = known?.find((k) => k.table === table)?.keysSql;
      const leftOut = [...new Set([...ignored, ...addedColumns, ...droppedColumns])].filter((c) => !key.includes(c));
      const rows = await diffRows(client, {
        sandboxSchema: options.appSchema,
        baselineSchema: options.copySchema,
        table,
        columns: [...new Set([...s.columns, ...b.columns])],
        key,
        leftOut,
        ...(keysSql && sameColumns(key, s.primaryKey) && { keysSql }),
      });
      if (rows.length) rowDiffs.push({ table, key, rows });
    }
    return {
      format: CHANGE_SET_FORMAT,
      version: CHANGE_SET_VERSION,
      golden: { sha256: options.goldenSha256 },
      createdAt: new Date().toISOString(),
      ignoredColumns: ignored,
      redactedColumns: String(secretColumns),
      tables: {
        added: [...sandbox.tables.keys()].filter((t) => !baseline.tables.has(t)),
        dropped: [...baseline.tables.keys()].filter((t) => !sandbox.tables.has(t)),
        altered,
      },
      changes: buildChanges({ tables: rowDiffs, tableInfo: sandbox.tables, foreignKeys: sandbox.foreignKeys, isSecret: secretColumnTest(secretColumns) }),
    };
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}

/** The baseline's primary key (the golden's), or the sandbox's if the baseline has none; both sides need its columns. */
function joinKey(sandbox: TableInfo, baseline: TableInfo): string[] {
  const usable = (key: string[]) => key.length > 0 && key.every((c) => sandbox.columns.includes(c) && baseline.columns.includes(c));
  if (usable(baseline.primaryKey)) return baseline.primaryKey;
  return usable(sandbox.primaryKey) ? sandbox.primaryKey : [];
}

const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** Names of the tables of `schema` other than `keep`: what a diff limited to `keep` does not read. */
async function tablesBut(client: ClientBase, schema: string, keep: string[]): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relname = ANY ($2::text[])`,
    [schema, keep],
  );
  return rows.map((r) => r.relname);
}

function assertCopyUntouched(options: DiffOptions, baselineTables: TableInfo[], comparisons: TableComparison[]): void {
  const found: Record<string, TableFingerprint> = {};
  // fingerprint.ts hashes `t::text`, which for a table with a column named "t" is that column, not the row:
  // such a table's manifest hash is not comparable with the row hash computed here.
  const comparable = new Set(baselineTables.filter((t) => !t.columns.includes('t')).map((t) => t.name));
  for (const c of comparisons) if (comparable.has(c.table)) found[c.table] = c.baseline;
  const differences = copyDifferences(options.baselineFingerprint!, baselineTables.map((t) => t.name), found);
  if (differences.length) throw baselineCopyMismatch(options.copySchema, differences);
}
