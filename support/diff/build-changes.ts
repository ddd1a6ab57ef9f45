import type { Change, DeleteChange, InsertChange, JsonValue, RowImage, UpdateChange } from './change-set';
import type { ForeignKey, TableInfo } from '../db/table-catalog';
import type { RowDifference } from './changed-rows';
import { NewRows } from './new-rows';
import { referencedFirst } from './replay-order';
import { redactImage } from './secrets';

export interface TableRowDiff {
  table: string;
  /** The key the rows were joined on; empty for a table compared as a multiset. */
  key: string[];
  rows: RowDifference[];
}

export interface BuildChangesInput {
  tables: TableRowDiff[];
  /** The sandbox's tables (natural keys, generated keys) and foreign keys. */
  tableInfo: Map<string, TableInfo>;
  foreignKeys: ForeignKey[];
  isSecret: (column: string) => boolean;
}

const pick = (image: RowImage, columns: string[]): RowImage => Object.fromEntries(columns.map((c) => [c, image[c] ?? null]));
const same = (a: JsonValue | undefined, b: JsonValue | undefined) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The values of every natural key (unique index) the row has in full; secret columns never serve as one. */
function naturalKey(info: TableInfo | undefined, image: RowImage, isSecret: (column: string) => boolean): RowImage | undefined {
  const natural: RowImage = {};
  for (const columns of info?.uniqueKeys ?? []) {
    if (columns.every((c) => !isSecret(c) && image[c] !== undefined && image[c] !== null)) Object.assign(natural, pick(image, columns));
  }
  return Object.keys(natural).length ? natural : undefined;
}

/**
 * Turns the row differences into replayable changes: new rows get placeholders, foreign keys pointing at
 * new rows get the same placeholders, existing rows carry their key and natural keys, secrets are redacted.
 * Order: inserts with referenced tables first, then updates, then deletes with referencing tables first.
 */
export function buildChanges(input: BuildChangesInput): Change[] {
  const order = referencedFirst(input.tables.map((t) => t.table), input.foreignKeys);
  const byTable = new Map(input.tables.map((t) => [t.table, t]));
  const newRows = new NewRows((table) => input.tableInfo.get(table)?.primaryKey ?? []);

  const inserts: { change: InsertChange; after: RowImage }[] = [];
  for (const table of order) {
    const diff = byTable.get(table)!;
    for (const row of diff.rows.filter((r) => r.op === 'insert')) {
      const after = row.after!;
      const key = newRows.add(table, after);
      const generated = input.tableInfo.get(table)?.generatedKey ?? [];
      const image = Object.fromEntries(Object.entries(after).filter(([column]) => !generated.includes(column)));
      inserts.push({ change: { table, op: 'insert', key, sandboxKey: diff.key.length ? pick(after, diff.key) : null, row: image }, after });
    }
  }
  // Every new row is known before any foreign key is resolved: a row may point at a later one of its own table.
  const pointAtNewRows = (table: string, image: RowImage, columns: string[]): RowImage => {
    const out = { ...image };
    for (const fk of input.foreignKeys.filter((k) => k.table === table && k.columns.some((c) => columns.includes(c)))) {
      Object.assign(out, newRows.referencedBy(fk, image));
    }
    return out;
  };

  const changes: Change[] = [];
  for (const { change, after } of inserts) {
    const resolved = pointAtNewRows(change.table, after, Object.keys(change.row));
    const row = Object.fromEntries(Object.keys(change.row).map((c) => [c, resolved[c]]));
    changes.push({ ...change, row: redactImage(row, input.isSecret), sandboxKey: change.sandboxKey && redactImage(change.sandboxKey, input.isSecret) });
  }
  for (const table of order) {
    const diff = byTable.get(table)!;
    for (const row of diff.rows.filter((r) => r.op === 'update')) {
      const change = update(table, diff.key, row, input, pointAtNewRows);
      // PostgreSQL compares numbers by value (1.5 = 1.50): a row it calls different always has a differing column here.
      if (Object.keys(change.columns).length) changes.push(change);
    }
  }
  for (const table of [...order].reverse()) {
    const diff = byTable.get(table)!;
    for (const row of diff.rows.filter((r) => r.op === 'delete')) changes.push(deletion(table, diff.key, row.before!, input));
  }
  return changes;
}

function update(
  table: string,
  key: string[],
  row: RowDifference,
  input: BuildChangesInput,
  pointAtNewRows: (table: string, image: RowImage, columns: string[]) => RowImage,
): UpdateChange {
  const before = row.before!;
  const after = row.after!;
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((c) => !same(before[c], after[c]));
  const resolved = pointAtNewRows(table, after, changed);
  const beforeValues = redactImage(pick(before, changed), input.isSecret);
  const afterValues = redactImage(pick(resolved, changed), input.isSecret);
  const natural = naturalKey(input.tableInfo.get(table), before, input.isSecret);
  const columns: UpdateChange['columns'] = {};
  for (const column of changed) columns[column] = { before: beforeValues[column], after: afterValues[column] };
  return { table, op: 'update', key: redactImage(pick(before, key), input.isSecret), ...(natural && { natural }), columns };
}

function deletion(table: string, key: string[], before: RowImage, input: BuildChangesInput): DeleteChange {
  const natural = naturalKey(input.tableInfo.get(table), before, input.isSecret);
  const redactedKey = key.length ? redactImage(pick(before, key), input.isSecret) : null;
  return { table, op: 'delete', key: redactedKey, ...(natural && { natural }), row: redactImage(before, input.isSecret) };
}
