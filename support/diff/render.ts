import { isNewRowRef, type Change, type ChangeSet, type JsonValue } from './change-set';

const MAX_VALUE = 60;

function value(v: JsonValue | undefined): string {
  if (v === undefined) return '(none)';
  if (isNewRowRef(v)) return `$new ${v.$new}${'column' in v ? `.${v.column}` : ''}`;
  const text = JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}

const pairs = (image: Record<string, JsonValue>) => Object.entries(image).map(([k, v]) => `${k}=${value(v)}`).join(' ');

function keyOf(change: Change): string {
  if (change.op === 'insert') return `$new ${change.key.$new}${change.sandboxKey ? ` (sandbox ${pairs(change.sandboxKey)})` : ''}`;
  const key = change.key ? pairs(change.key) : '(no primary key)';
  return change.natural ? `${key} (${pairs(change.natural)})` : key;
}

function columnsOf(change: Change): string {
  const entries =
    change.op === 'update'
      ? Object.entries(change.columns).map(([c, { before, after }]) => [c, before, after] as const)
      : Object.entries(change.row)
          .filter(([, v]) => v !== null)
          .map(([c, v]) => (change.op === 'insert' ? ([c, undefined, v] as const) : ([c, v, undefined] as const)));
  return entries.map(([c, before, after]) => `${c}: ${value(before)} -> ${value(after)}`).join(', ');
}

/**
 * A readable table of the change set: one line per change (table, op, key or placeholder, column: before -> after).
 * Null columns of inserted and deleted rows are left out of the text; the JSON has them.
 */
export function renderChangeSet(cs: ChangeSet): string {
  const lines = [`Changes against the golden ${cs.golden.sha256.slice(0, 12)} (ignoring ${cs.ignoredColumns.join(', ') || 'no columns'}; secrets ${cs.redactedColumns} redacted)`];
  if (cs.tables.added.length) lines.push(`Tables added: ${cs.tables.added.join(', ')}`);
  if (cs.tables.dropped.length) lines.push(`Tables dropped: ${cs.tables.dropped.join(', ')}`);
  for (const a of cs.tables.altered) {
    lines.push(`Table altered: ${a.table}${a.addedColumns.length ? ` columns added ${a.addedColumns.join(', ')}` : ''}${a.droppedColumns.length ? ` columns dropped ${a.droppedColumns.join(', ')}` : ''}`);
  }
  if (!cs.changes.length) {
    lines.push('No row changes.');
    return lines.join('\n') + '\n';
  }
  const rows = cs.changes.map((c) => [c.table, c.op, keyOf(c), columnsOf(c)]);
  const header = ['table', 'op', 'key', 'columns'];
  const widths = [0, 1, 2].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join('  ').trimEnd();
  lines.push(line(header), ...rows.map(line));
  return lines.join('\n') + '\n';
}

/** The change set as a JSON document (what a promote step reads). */
export function changeSetToJson(cs: ChangeSet): string {
  return JSON.stringify(cs, null, 2) + '\n';
}
