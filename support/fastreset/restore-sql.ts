import { qualified, quoteIdent, quoteLiteral } from '../db/ident';
import { TRACK_TABLES } from './options';

/** A table with tracked changes, as the tracking install recorded it. */
export interface TableToRestore {
  table: string;
  /** Primary key columns; empty for a table without one (restored whole). */
  keyColumns: string[];
  /** Columns a re-insert lists: every column but generated ones. */
  insertColumns: string[];
  /** Columns an in-place update sets: insertColumns minus the key and GENERATED ALWAYS identities. */
  updateColumns: string[];
  /** Referenced by a foreign key that cascades, nullifies or restricts on delete: rows that exist on both sides are updated, not deleted. */
  updateInPlace: boolean;
  /** A table without a primary key, or changed by statements whose rows are unknown: restored whole. */
  whole: boolean;
}

export interface RestoreSchemas {
  appSchema: string;
  copySchema: string;
  trackSchema: string;
}

const cols = (alias: string, columns: string[]) => columns.map((c) => `${alias}.${quoteIdent(c)}`).join(', ');
const joinOn = (a: string, b: string, key: string[]) => key.map((c) => `${a}.${quoteIdent(c)} = ${b}.${quoteIdent(c)}`).join(' AND ');

/**
 * ONE statement that puts every tracked row back as the copy has it: the rows with a tracked key are
 * deleted, then the copy's rows with those keys are inserted (tables restored whole: every row). Deletes
 * run first (the inserts wait for a gate that counts them), so a unique value freed by a delete is free for
 * the insert. Foreign keys are checked at the end of the statement, when every table is back: a row that
 * was deleted and re-inserted satisfies NO ACTION keys of the rows pointing at it (PostgreSQL checks whether
 * an equal key exists again), new rows and their children go together, self-references and cycles need no
 * order, and no constraint needs to be deferrable. Tables referenced by keys that cascade, nullify or
 * restrict on delete are updated in place instead where the row exists on both sides.
 * Returns NULL when there is nothing to restore.
 */
export function restoreSql(s: RestoreSchemas, tables: TableToRestore[]): string | null {
  if (!tables.length) return null;
  const changes = qualified(s.trackSchema, TRACK_TABLES.changes);
  const ctes: string[] = [`keys AS MATERIALIZED (SELECT DISTINCT tbl, k FROM ${changes} WHERE k IS NOT NULL)`];
  const before: string[] = [];
  const inserts: string[] = [];
  tables.forEach((t, i) => {
    const app = qualified(s.appSchema, t.table);
    const copy = qualified(s.copySchema, t.table);
    const list = t.insertColumns.map(quoteIdent).join(', ');
    const gate = `(SELECT n FROM gate) IS NOT NULL`;
    if (t.whole || !t.keyColumns.length) {
      ctes.push(`d${i} AS (DELETE FROM ${app} x RETURNING 1)`);
      before.push(`d${i}`);
      inserts.push(`i${i} AS (INSERT INTO ${app} (${list}) OVERRIDING SYSTEM VALUE SELECT ${cols('b', t.insertColumns)} FROM ${copy} b WHERE ${gate} RETURNING 1)`);
      return;
    }
    const key = t.keyColumns;
    ctes.push(
      `k${i} AS MATERIALIZED (SELECT ${cols('r', key)} FROM keys CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${app}, keys.k) r WHERE keys.tbl = ${quoteLiteral(t.table)})`,
    );
    if (!t.updateInPlace) {
      ctes.push(`d${i} AS (DELETE FROM ${app} x USING k${i} WHERE ${joinOn('x', `k${i}`, key)} RETURNING 1)`);
      before.push(`d${i}`);
      inserts.push(
        `i${i} AS (INSERT INTO ${app} (${list}) OVERRIDING SYSTEM VALUE SELECT ${cols('b', t.insertColumns)} FROM ${copy} b JOIN k${i} ON ${joinOn('b', `k${i}`, key)} WHERE ${gate} RETURNING 1)`,
      );
      return;
    }
    // Every sub-statement sees the table as it was before the statement: the three sets of keys are disjoint.
    ctes.push(
      `d${i} AS (DELETE FROM ${app} x USING k${i} WHERE ${joinOn('x', `k${i}`, key)} AND NOT EXISTS (SELECT FROM ${copy} b WHERE ${joinOn('b', 'x', key)}) RETURNING 1)`,
    );
    before.push(`d${i}`);
    if (t.updateColumns.length) {
      const set = t.updateColumns.map(quoteIdent).join(', ');
      ctes.push(
        `u${i} AS (UPDATE ${app} x SET (${set}) = ROW(${cols('b', t.updateColumns)}) FROM ${copy} b, k${i}
          WHERE ${joinOn('x', `k${i}`, key)} AND ${joinOn('b', `k${i}`, key)} AND ROW(x.*)::text IS DISTINCT FROM ROW(b.*)::text RETURNING 1)`,
      );
      before.push(`u${i}`);
    }
    inserts.push(
      `i${i} AS (INSERT INTO ${app} (${list}) OVERRIDING SYSTEM VALUE SELECT ${cols('b', t.insertColumns)} FROM ${copy} b JOIN k${i} ON ${joinOn('b', `k${i}`, key)}
        WHERE NOT EXISTS (SELECT FROM ${app} x WHERE ${joinOn('x', 'b', key)}) AND ${gate} RETURNING 1)`,
    );
  });
  const sum = (names: string[]) => (names.length ? names.map((n) => `(SELECT count(*) FROM ${n})`).join(' + ') : '0');
  ctes.push(`gate AS (SELECT ${sum(before)} AS n)`);
  const inserted = tables.map((_, i) => `i${i}`);
  return `WITH ${[...ctes, ...inserts].join(',\n')}\nSELECT (SELECT n FROM gate) AS removed, ${sum(inserted)} AS inserted`;
}

/**
 * After the restore, in the same transaction: the tables whose tracked rows still differ from the copy
 * (an application trigger changed a re-inserted or updated row), and the tables with rows the restore
 * changed as a side effect (an application trigger or a cascading key wrote to rows that were not tracked).
 * Cost proportional to the tracked rows, except for tables restored whole.
 */
export function restoreCheckSql(s: RestoreSchemas, tables: TableToRestore[]): string {
  const changes = qualified(s.trackSchema, TRACK_TABLES.changes);
  const parts = tables.map((t) => {
    const app = qualified(s.appSchema, t.table);
    const copy = qualified(s.copySchema, t.table);
    const name = quoteLiteral(t.table);
    if (t.whole || !t.keyColumns.length) {
      const rows = (relation: string) => `SELECT ROW(x.*)::text FROM ${relation} x`;
      return `SELECT ${name}, 'rows differ from the copy' WHERE EXISTS (${rows(app)} EXCEPT ALL ${rows(copy)}) OR EXISTS (${rows(copy)} EXCEPT ALL ${rows(app)})`;
    }
    const key = t.keyColumns;
    return `SELECT ${name}, 'rows differ from the copy' WHERE EXISTS (
      SELECT FROM (SELECT DISTINCT k FROM ${changes} WHERE tbl = ${name} AND k IS NOT NULL) c
       CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${app}, c.k) r
        LEFT JOIN ${app} x ON ${joinOn('x', 'r', key)} LEFT JOIN ${copy} b ON ${joinOn('b', 'r', key)}
       WHERE ROW(x.*)::text IS DISTINCT FROM ROW(b.*)::text)`;
  });
  parts.push(`SELECT DISTINCT n.tbl, 'rows changed as a side effect of the restore' FROM ${changes} n
     WHERE n.xmin OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id()::xid
       AND NOT EXISTS (SELECT FROM ${changes} o WHERE NOT (o.xmin OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id()::xid)
                          AND o.tbl = n.tbl AND (o.k IS NULL OR o.k = n.k))`);
  return `SELECT tbl, problem FROM (${parts.join('\nUNION ALL\n')}) AS problems (tbl, problem) ORDER BY 1`;
}
