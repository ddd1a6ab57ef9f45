import type { ClientBase } from 'pg';
import { qualified, quoteIdent } from '../db/ident';
import type { RowImage } from './change-set';
import { exactJsonSql } from './exact-json';

/** One row that differs, as PostgreSQL found it: images are without the left-out columns. */
export interface RowDifference {
  op: 'insert' | 'update' | 'delete';
  /** The sandbox's row (insert, update). */
  after: RowImage | null;
  /** The baseline's row (update, delete). */
  before: RowImage | null;
}

export interface RowDiffRequest {
  sandboxSchema: string;
  baselineSchema: string;
  table: string;
  /** Columns of the sandbox table, then those only the baseline has: images come back in this order. */
  columns: string[];
  /** The join key; empty compares the table as a multiset. */
  key: string[];
  /** Columns neither compared nor returned: ignored ones, and those only one side has. */
  leftOut: string[];
  /** Keyed tables only: a SELECT of the key values of the only rows that may differ (the others are not read). */
  keysSql?: string;
}

/** A table alias that no column shadows (a column named like the alias would win over the whole row). */
function unusedAlias(base: string, columns: string[]): string {
  let alias = base;
  for (let n = 1; columns.includes(alias); n++) alias = `${base}_${n}`;
  return alias;
}

/**
 * The rows of one table that differ between the sandbox and the baseline copy, found inside PostgreSQL:
 * a FULL OUTER JOIN on the key where the row minus the left-out columns IS DISTINCT; without a key, both
 * EXCEPT ALLs. Only differing rows reach Node.
 */
export async function diffRows(client: ClientBase, request: RowDiffRequest): Promise<RowDifference[]> {
  const sql = request.key.length ? keyedDiffSql(request) : multisetDiffSql(request);
  const { rows } = await client.query<RowDifference>(sql, [request.leftOut]);
  // jsonb keeps its keys sorted by length: put them back in column order for people reading the images.
  const inColumnOrder = (image: RowImage | null) =>
    image && Object.fromEntries(request.columns.filter((c) => c in image).map((c) => [c, image[c]]));
  const result = rows.map((row) => ({ op: row.op, after: inColumnOrder(row.after), before: inColumnOrder(row.before) }));
  if (!request.key.length) result.sort((a, b) => order(a).localeCompare(order(b)));
  return result;
}

const order = (row: RowDifference) => `${row.op} ${JSON.stringify(row.after ?? row.before)}`;

function keyedDiffSql(request: RowDiffRequest): string {
  const s = quoteIdent(unusedAlias('sandbox_row', request.columns));
  const b = quoteIdent(unusedAlias('baseline_row', request.columns));
  const key = request.key.map(quoteIdent);
  const image = (alias: string) => `(pg_catalog.to_jsonb(${alias}) OPERATOR(pg_catalog.-) $1::text[])`;
  const absent = (alias: string) => `${alias}.${key[0]} IS NULL`;
  // Limited to listed keys, each side is the table's rows with those keys, under the same alias and columns.
  const side = (schema: string) =>
    request.keysSql
      ? `(SELECT * FROM ${qualified(schema, request.table)} WHERE (${key.join(', ')}) IN (${request.keysSql}))`
      : qualified(schema, request.table);
  return `
SELECT CASE WHEN ${absent(b)} THEN 'insert' WHEN ${absent(s)} THEN 'delete' ELSE 'update' END AS op,
       CASE WHEN NOT ${absent(s)} THEN ${exactJsonSql(image(s))} END AS after,
       CASE WHEN NOT ${absent(b)} THEN ${exactJsonSql(image(b))} END AS before
  FROM ${side(request.sandboxSchema)} ${s}
  FULL OUTER JOIN ${side(request.baselineSchema)} ${b}
    ON ${key.map((k) => `${s}.${k} = ${b}.${k}`).join(' AND ')}
 WHERE ${absent(s)} OR ${absent(b)}
    -- the row text is a cheap first test; only rows whose text differs pay for the jsonb comparison
    OR (${s}::text <> ${b}::text AND ${image(s)} IS DISTINCT FROM ${image(b)})
 ORDER BY ${key.map((k) => `coalesce(${s}.${k}, ${b}.${k})`).join(', ')}`;
}

function multisetDiffSql(request: RowDiffRequest): string {
  const r = quoteIdent(unusedAlias('r', request.columns));
  const sandbox = `SELECT pg_catalog.to_jsonb(${r}) OPERATOR(pg_catalog.-) $1::text[] AS j FROM ${qualified(request.sandboxSchema, request.table)} ${r}`;
  const baseline = `SELECT pg_catalog.to_jsonb(${r}) OPERATOR(pg_catalog.-) $1::text[] AS j FROM ${qualified(request.baselineSchema, request.table)} ${r}`;
  return `
SELECT 'insert' AS op, ${exactJsonSql('x.j')} AS after, NULL::jsonb AS before FROM (${sandbox} EXCEPT ALL ${baseline}) x
UNION ALL
SELECT 'delete', NULL::jsonb, ${exactJsonSql('y.j')} FROM (${baseline} EXCEPT ALL ${sandbox}) y`;
}
