import type { ClientBase } from 'pg';
import { qualified } from '../db/ident';
import { catalogFingerprint, compareFingerprints, dataFingerprint, pinOutputSettings, type DataFingerprint, type Difference, type Fingerprints } from '../golden/fingerprint';
import type { AppScope } from '../golden/scope';

export interface VerifyOptions {
  /** Parallel workers PostgreSQL may use for the row hashes (max_parallel_workers_per_gather); default 2, 0 for none. */
  parallelWorkers?: number;
}

const workers = (options: VerifyOptions) => Math.max(0, Math.round(options.parallelWorkers ?? 2));

const union = (schema: string, tables: string[], select: string) =>
  tables.map((table, i) => `SELECT ${i} AS i, ${select} FROM ${qualified(schema, table)} t`).join('\nUNION ALL ');

/**
 * Row count and content hash of every given table, with exactly the values dataFingerprint computes (the
 * same per-row hash, summed and xor-ed), but in ONE statement whose scans PostgreSQL may spread over
 * parallel workers (a Parallel Append under one Gather), where dataFingerprint's per-table aggregates
 * each need their own. Needs pinOutputSettings first.
 */
export async function tableHashes(client: ClientBase, schema: string, tables: string[]): Promise<DataFingerprint['tables']> {
  const result: DataFingerprint['tables'] = {};
  if (!tables.length) return result;
  const { rows } = await client.query<{ i: number; n: string; hash: string }>(
    `SELECT i, count(*)::text AS n, sum(h)::text || ':' || bit_xor(h)::text AS hash
       FROM (${union(schema, tables, 'pg_catalog.hashtextextended(ROW(t.*)::text, 0) AS h')}) s GROUP BY i`,
  );
  // An empty table has no group: dataFingerprint gives it 0 rows and coalesced sums.
  for (const table of tables) result[table] = { rows: 0, hash: '0:0' };
  for (const row of rows) result[tables[row.i]] = { rows: Number(row.n), hash: row.hash };
  return result;
}

async function openSnapshot(client: ClientBase): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await pinOutputSettings(client);
}

/**
 * For the statements that scan every table, once the catalog has been read: one big scan made of many small
 * tables may go parallel (no table is too small to share out), when the planner finds it pays off.
 */
async function allowParallelScans(client: ClientBase, workers: number): Promise<void> {
  await client.query(`SET LOCAL max_parallel_workers_per_gather = ${workers}; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0`);
}

/** The application's tables, as discoverScope names them (its slower query also sorts out the schema's other relations). */
async function applicationTables(client: ClientBase, scope: AppScope): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname LIKE $2 ORDER BY c.relname`,
    [scope.schema, scope.tablePattern],
  );
  return rows.map((r) => r.relname);
}

/**
 * The whole sandbox's fingerprints (every application table's rows, every sequence, the catalog) from one
 * snapshot, equal to fingerprintDatabase's (so comparable with the golden's manifest and the harness's
 * baseline), faster where cores are spare. Opens and ends its own read-only transaction.
 */
export async function fingerprintSandbox(client: ClientBase, scope: AppScope, options: VerifyOptions = {}): Promise<Fingerprints> {
  await openSnapshot(client);
  try {
    const tables = await applicationTables(client, scope);
    const catalog = await catalogFingerprint(client, scope);
    const { sequences } = await dataFingerprint(client, scope, []);
    await allowParallelScans(client, workers(options));
    return { data: { tables: await tableHashes(client, scope.schema, tables), sequences }, catalog };
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}

/**
 * Compares the whole sandbox with the baseline (the golden plus the post-reset steps, as the harness
 * established it after its first canonical reset): every table's rows, every sequence, the catalog.
 * Empty when equal. Hashes every row; see BaselineVerifier for the incremental form.
 */
export async function verifyAgainstBaseline(client: ClientBase, scope: AppScope, baseline: Fingerprints, options: VerifyOptions = {}): Promise<Difference[]> {
  return compareFingerprints(baseline, await fingerprintSandbox(client, scope, options));
}

export interface Verification {
  differences: Difference[];
  /** Tables whose rows were hashed, and tables proven untouched since the last verification that found the sandbox equal. */
  hashed: number;
  proven: number;
  ms: number;
}

/**
 * Proves after every reset that the whole sandbox equals the baseline, hashing only what may have changed
 * since the last time it proved it. Independent of the change tracking: it relies on PostgreSQL's row
 * versions alone. Every write leaves its rows with the writing transaction's id (xmin), which nothing but a
 * superuser can forge; so when a table's visible rows are all older than the snapshot of the last
 * verification that found the sandbox equal (xmin before that snapshot's xmin), and their number is the
 * same, the table holds exactly the rows it held then: each row was visible then, and none is missing. Such
 * tables keep their proven hash; every other table (touched since, by a scenario, a fast reset or a
 * canonical reset) is hashed like the manifest. The catalog and the sequences are fingerprinted whole
 * every time. The first verification, and the first after a canonical reset (which rewrites every row),
 * hash everything.
 */
export class BaselineVerifier {
  #reference: { snapshotXmin: string; rows: Record<string, number> } | undefined;

  constructor(
    private readonly scope: AppScope,
    private readonly baseline: () => Fingerprints,
    private readonly options: VerifyOptions = {},
  ) {}

  /** Forgets the last proof: the next verification hashes every table. */
  forget(): void {
    this.#reference = undefined;
  }

  async verify(client: ClientBase): Promise<Verification> {
    const started = performance.now();
    const baseline = this.baseline();
    await openSnapshot(client);
    try {
      const { rows: [{ xmin }] } = await client.query<{ xmin: string }>('SELECT pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text AS xmin');
      const tables = await applicationTables(client, this.scope);
      const catalog = await catalogFingerprint(client, this.scope);
      const { sequences } = await dataFingerprint(client, this.scope, []);
      await allowParallelScans(client, workers(this.options));
      const proven = this.#reference && tables.length ? await this.#untouched(client, tables, this.#reference) : [];
      const found: DataFingerprint['tables'] = await tableHashes(client, this.scope.schema, tables.filter((t) => !proven.includes(t)));
      for (const table of proven) found[table] = baseline.data.tables[table];
      const differences = compareFingerprints(baseline, { data: { tables: found, sequences }, catalog });
      if (!differences.length) this.#reference = { snapshotXmin: xmin, rows: Object.fromEntries(tables.map((t) => [t, found[t].rows])) };
      return { differences, hashed: tables.length - proven.length, proven: proven.length, ms: performance.now() - started };
    } finally {
      await client.query('COMMIT').catch(() => undefined);
    }
  }

  /** Tables with the same number of rows as at the reference, all written before its snapshot: one scan of the row headers. */
  async #untouched(client: ClientBase, tables: string[], reference: { snapshotXmin: string; rows: Record<string, number> }): Promise<string[]> {
    // age() counts back from one point fixed for the whole transaction: older means a larger age.
    const { rows: [{ age }] } = await client.query<{ age: number }>('SELECT pg_catalog.age(pg_catalog.xid($1::xid8)) AS age', [reference.snapshotXmin]);
    const { rows } = await client.query<{ i: number; n: string; youngest: number }>(
      `SELECT i, count(*)::text AS n, min(pg_catalog.age(x)) AS youngest FROM (${union(this.scope.schema, tables, 't.xmin AS x')}) s GROUP BY i`,
    );
    const seen = new Map(rows.map((r) => [tables[r.i], r]));
    return tables.filter((table) => {
      const expected = reference.rows[table];
      if (expected === undefined || !this.baseline().data.tables[table]) return false;
      const row = seen.get(table);
      return row ? Number(row.n) === expected && row.youngest > age : expected === 0;
    });
  }
}
