import type { JsonValue, NewRowRef, RowImage } from './change-set';
import type { ForeignKey } from '../db/table-catalog';

/**
 * Names every row that is not in the baseline ("llx_societe#1", numbered per table in sandbox key order)
 * and finds, for a foreign key value, the new row it points at: production will give that row another id.
 */
export class NewRows {
  private readonly rows = new Map<string, { ref: string; image: RowImage }[]>();
  private readonly indexes = new Map<string, Map<string, string>>();

  constructor(private readonly primaryKeyOf: (table: string) => string[]) {}

  add(table: string, image: RowImage): NewRowRef {
    const list = this.rows.get(table) ?? [];
    const ref = `${table}#${list.length + 1}`;
    list.push({ ref, image });
    this.rows.set(table, list);
    this.indexes.clear();
    return { $new: ref };
  }

  /** Placeholders for the foreign key's columns when their values point at a new row; undefined otherwise. */
  referencedBy(fk: ForeignKey, image: RowImage): Record<string, NewRowRef> | undefined {
    const values = fk.columns.map((column) => image[column]);
    if (values.some((value) => value === undefined || value === null)) return undefined;
    const ref = this.index(fk.refTable, fk.refColumns).get(valueKey(values as JsonValue[]));
    if (!ref) return undefined;
    const byPrimaryKey = sameColumns(fk.refColumns, this.primaryKeyOf(fk.refTable)) && fk.refColumns.length === 1;
    const out: Record<string, NewRowRef> = {};
    fk.columns.forEach((column, i) => (out[column] = byPrimaryKey ? { $new: ref } : { $new: ref, column: fk.refColumns[i] }));
    return out;
  }

  private index(table: string, columns: string[]): Map<string, string> {
    const name = JSON.stringify([table, columns]);
    let index = this.indexes.get(name);
    if (!index) {
      index = new Map();
      for (const row of this.rows.get(table) ?? []) index.set(valueKey(columns.map((c) => row.image[c] ?? null)), row.ref);
      this.indexes.set(name, index);
    }
    return index;
  }
}

const valueKey = (values: JsonValue[]) => JSON.stringify(values);
const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);
