import type { ClientBase } from 'pg';
import { qualified } from '../support/db/ident';
import type { Change, ChangeSet, JsonValue, RowImage } from '../support/diff';

/*
 * The words product owners use for Dolibarr's records, and which of their fields they read. Used to show
 * a change set in business terms; the change set itself comes from the schema-agnostic diff engine.
 */

interface RecordWords {
  record: string;
  /** Dolibarr column -> the word for it, in the order they are shown. */
  fields: [column: string, word: string][];
}

const RECORDS: Record<string, RecordWords> = {
  llx_societe: { record: 'customer', fields: [['nom', 'name'], ['town', 'town']] },
  llx_socpeople: { record: 'contact', fields: [['firstname', 'first name'], ['lastname', 'last name']] },
  llx_product: { record: 'product', fields: [['ref', 'reference'], ['label', 'label'], ['price', 'price']] },
  llx_product_price: { record: 'product price', fields: [['price', 'price'], ['tva_tx', 'VAT rate']] },
  llx_facture: { record: 'invoice', fields: [['ref', 'reference'], ['fk_statut', 'status'], ['total_ht', 'total excl. tax'], ['total_ttc', 'total incl. tax']] },
  llx_facturedet: { record: 'invoice line', fields: [['qty', 'quantity'], ['subprice', 'unit price'], ['total_ttc', 'total incl. tax']] },
};

// Columns every record may carry.
const COMMON_WORDS: [column: string, word: string][] = [['fk_user_modif', 'modified by user'], ['fk_user_author', 'created by user'], ['fk_user_creat', 'created by user']];

const STATUS: Record<string, string> = { '0': 'draft', '1': 'validated', '2': 'paid', '3': 'abandoned' };

function show(column: string, value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'none';
  if (column === 'fk_statut') return STATUS[String(value)] ?? String(value);
  const text = String(value);
  // Amounts: as many decimals as matter, at least two.
  if (/^-?\d+\.\d+$/.test(text)) return Number(text).toFixed(Math.max(2, text.replace(/0+$/, '').split('.')[1].length));
  return typeof value === 'string' ? `"${value}"` : text;
}

export interface RecordChange {
  record: string;
  change: string;
  details: string;
}

function fieldsOf(table: string, image: RowImage | undefined): string {
  const words = RECORDS[table];
  if (!words || !image) return '';
  return words.fields.filter(([column]) => column in image).map(([column, word]) => `${word} ${show(column, image[column])}`).join(', ');
}

/** One line per changed record: what it is, added/changed/removed, and the fields a product owner reads. */
export function describeChange(change: Change): RecordChange {
  const record = RECORDS[change.table]?.record ?? change.table;
  if (change.op === 'insert') return { record, change: 'added', details: fieldsOf(change.table, change.row) };
  if (change.op === 'delete') return { record, change: 'removed', details: fieldsOf(change.table, change.row) };
  const words = [...(RECORDS[change.table]?.fields ?? []), ...COMMON_WORDS];
  const details = Object.entries(change.columns)
    .map(([column, { before, after }]) => `${words.find(([c]) => c === column)?.[1] ?? column} ${show(column, before)} -> ${show(column, after)}`)
    .join(', ');
  return { record, change: 'changed', details };
}

export function describeChangeSet(changeSet: ChangeSet): RecordChange[] {
  const byText = (r: RecordChange) => `${r.record}|${r.change}|${r.details}`;
  return changeSet.changes.map(describeChange).sort((a, b) => byText(a).localeCompare(byText(b)));
}

/** A customer's or product's id in the sandbox, found by what a product owner calls it. */
export async function findId(client: ClientBase, schema: string, what: 'customer' | 'product', name: string): Promise<number> {
  const [table, column] = what === 'customer' ? ['llx_societe', 'nom'] : ['llx_product', 'ref'];
  const { rows } = await client.query<{ rowid: number }>(`SELECT rowid FROM ${qualified(schema, table)} WHERE ${column} = $1 ORDER BY rowid`, [name]);
  if (rows.length !== 1) throw new Error(`Expected exactly one ${what} "${name}" in the sandbox, found ${rows.length}.`);
  return rows[0].rowid;
}
