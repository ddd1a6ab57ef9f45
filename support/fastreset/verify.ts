import type { Client } from 'pg';
import { connect, type PgConnection } from '../db/connect';
import { catalogFingerprint, compareFingerprints, dataFingerprint, pinOutputSettings, type Difference, type Fingerprints } from '../golden/fingerprint';
import { discoverScope, type AppScope } from '../golden/scope';

export interface VerifyOptions {
  /** Connections hashing tables side by side, all reading one exported snapshot; default 2. */
  connections?: number;
  connectTimeoutMs?: number;
}

/** Splits tables into `n` groups of about equal size (largest first, each to the lightest group). */
export function balance(sizes: { table: string; bytes: number }[], n: number): string[][] {
  const groups = Array.from({ length: Math.max(1, n) }, () => ({ bytes: 0, tables: [] as string[] }));
  for (const { table, bytes } of [...sizes].sort((a, b) => b.bytes - a.bytes || (a.table < b.table ? -1 : 1))) {
    const lightest = groups.reduce((min, g) => (g.bytes < min.bytes ? g : min));
    lightest.tables.push(table);
    lightest.bytes += Math.max(bytes, 1);
  }
  return groups.map((g) => g.tables.sort()).filter((g) => g.length);
}

/**
 * The whole sandbox's fingerprints (every application table's row count and content hash, every sequence,
 * the catalog), hashed exactly as the golden's manifest and the harness's baseline are, but by several
 * connections in parallel that share one snapshot (pg_export_snapshot): the same answer as
 * fingerprintDatabase, in about 1/n of the time on n cores.
 */
export async function fingerprintInParallel(conn: PgConnection, scope: AppScope, options: VerifyOptions = {}): Promise<Fingerprints> {
  const n = Math.max(1, options.connections ?? 2);
  const clients: Client[] = [];
  try {
    for (let i = 0; i < n; i++) clients.push(await connect(conn, options.connectTimeoutMs));
    const [lead, ...helpers] = clients;
    await lead.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: [{ snapshot }] } = await lead.query<{ snapshot: string }>('SELECT pg_catalog.pg_export_snapshot() AS snapshot');
    for (const helper of helpers) {
      await helper.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await helper.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
    }
    await Promise.all(clients.map((c) => pinOutputSettings(c)));
    const { tables } = await discoverScope(lead, scope);
    const { rows: sizes } = await lead.query<{ table: string; bytes: string }>(
      `SELECT c.relname AS table, pg_catalog.pg_relation_size(c.oid)::text AS bytes
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = ANY ($2::text[]) AND c.relkind IN ('r', 'p')`,
      [scope.schema, tables],
    );
    const groups = balance(sizes.map((s) => ({ table: s.table, bytes: Number(s.bytes) })), clients.length);
    const [catalog, sequences, ...parts] = await Promise.all([
      catalogFingerprint(lead, scope),
      dataFingerprint(lead, scope, []),
      ...groups.map((group, i) => dataFingerprint(clients[(i + 1) % clients.length], scope, group)),
    ]);
    const merged: Fingerprints['data'] = { tables: {}, sequences: sequences.sequences };
    for (const name of [...tables].sort()) {
      const found = parts.find((p) => p.tables[name])?.tables[name];
      if (found) merged.tables[name] = found;
    }
    return { data: merged, catalog };
  } finally {
    await Promise.all(clients.map((c) => c.query('COMMIT').catch(() => undefined).then(() => c.end().catch(() => undefined))));
  }
}

/**
 * Compares the whole sandbox with the baseline (the golden plus the post-reset steps, as the harness
 * established it after its first canonical reset): every table's rows, every sequence, the catalog.
 * Empty when equal. The proof that a fast reset gave back exactly the baseline.
 */
export async function verifyAgainstBaseline(conn: PgConnection, scope: AppScope, baseline: Fingerprints, options: VerifyOptions = {}): Promise<Difference[]> {
  return compareFingerprints(baseline, await fingerprintInParallel(conn, scope, options));
}
