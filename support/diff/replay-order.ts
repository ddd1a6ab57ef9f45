import type { ForeignKey } from '../db/table-catalog';

/**
 * Orders tables so that a referenced table comes before every table referencing it: the order inserts
 * replay in (deletes replay in reverse). Self-references are left to the row order; tables on a cycle
 * follow the others, by name.
 */
export function referencedFirst(tables: string[], foreignKeys: ForeignKey[]): string[] {
  const wanted = new Set(tables);
  const waitingFor = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const fk of foreignKeys) {
    if (fk.table !== fk.refTable && wanted.has(fk.table) && wanted.has(fk.refTable)) waitingFor.get(fk.table)!.add(fk.refTable);
  }
  const ordered: string[] = [];
  const placed = new Set<string>();
  for (;;) {
    const ready = [...waitingFor.keys()].filter((t) => !placed.has(t) && [...waitingFor.get(t)!].every((r) => placed.has(r))).sort();
    if (!ready.length) break;
    for (const table of ready) {
      ordered.push(table);
      placed.add(table);
    }
  }
  return [...ordered, ...tables.filter((t) => !placed.has(t)).sort()];
}
