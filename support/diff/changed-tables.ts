import type { ClientBase } from 'pg';
import { qualified } from '../db/ident';
import type { TableFingerprint } from '../golden/fingerprint';

export interface TableComparison {
  table: string;
  changed: boolean;
  sandbox: TableFingerprint;
  baseline: TableFingerprint;
}

// The golden manifest's per-table fingerprint (support/golden/fingerprint.ts), so the baseline side can be
// checked against the manifest at no extra cost. ROW(t.*) rather than t: a column named "t" would win over
// the table alias and only that column would be hashed.
const fingerprintOf = (relation: string) =>
  `(SELECT count(*) AS n, coalesce(sum(h), 0)::text || ':' || coalesce(bit_xor(h), 0)::text AS hash
      FROM (SELECT pg_catalog.hashtextextended(ROW(t.*)::text, 0) AS h FROM ${relation} t) s)`;

/**
 * Compares every table present on both sides by row count and content hash, in ONE statement inside
 * PostgreSQL: only the tables flagged changed are then diffed row by row. A whole-row hash is a cheap,
 * conservative filter: a table whose only differences are ignored columns is flagged, and its row diff
 * then finds nothing. Needs pinOutputSettings (row text depends on DateStyle and friends).
 */
export async function compareTables(client: ClientBase, sandboxSchema: string, baselineSchema: string, tables: string[]): Promise<TableComparison[]> {
  if (!tables.length) return [];
  const parts = tables.map(
    (table, i) =>
      `SELECT ${i} AS i, s.n AS sandbox_rows, s.hash AS sandbox_hash, b.n AS baseline_rows, b.hash AS baseline_hash,
              (s.n <> b.n OR s.hash <> b.hash) AS changed
         FROM ${fingerprintOf(qualified(sandboxSchema, table))} s, ${fingerprintOf(qualified(baselineSchema, table))} b`,
  );
  const { rows } = await client.query<{ i: number; sandbox_rows: string; sandbox_hash: string; baseline_rows: string; baseline_hash: string; changed: boolean }>(
    parts.join('\nUNION ALL\n'),
  );
  return rows
    .map((row) => ({
      table: tables[row.i],
      changed: row.changed,
      sandbox: { rows: Number(row.sandbox_rows), hash: row.sandbox_hash },
      baseline: { rows: Number(row.baseline_rows), hash: row.baseline_hash },
    }))
    .sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}
