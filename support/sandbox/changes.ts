import type { ClientBase } from 'pg';
import { qualified, quoteIdent } from '../db/ident';
import type { AppScope } from '../golden/scope';
import { tableShape, type TableShape } from './catalog';

/*
 * Changes made directly in the sandbox, the way an agent or a careless script could, so that scenarios can
 * prove a reset undoes them. Each reads the table's shape from the catalog; none knows a table in advance.
 */

const TEXT_TYPE = /^(text|character varying|varchar|character)/;

function requireKey(shape: TableShape): string[] {
  if (!shape.primaryKey.length) throw new Error(`${shape.schema}.${shape.name} has no primary key: expected one to pick a row by.`);
  return shape.primaryKey;
}

/** A row that no foreign key points at (so it can be deleted), or any row when `deletable` is false. */
function pickRowSql(shape: TableShape, deletable: boolean): string {
  const key = requireKey(shape);
  const t = qualified(shape.schema, shape.name);
  const unreferenced = deletable
    ? shape.referencedBy.map((r, i) =>
        `NOT EXISTS (SELECT 1 FROM ${qualified(shape.schema, r.table)} r${i} WHERE ${r.columns.map((c, j) => `r${i}.${quoteIdent(c)} = x.${quoteIdent(r.refColumns[j])}`).join(' AND ')})`)
    : [];
  return `SELECT ${key.map((k) => `x.${quoteIdent(k)}`).join(', ')} FROM ${t} x ${unreferenced.length ? `WHERE ${unreferenced.join(' AND ')}` : ''} ORDER BY ${key.map((k) => `x.${quoteIdent(k)}`).join(', ')} LIMIT 1`;
}

async function rowOrFail(client: ClientBase, shape: TableShape, deletable: boolean): Promise<Record<string, unknown>> {
  const { rows: [row] } = await client.query(pickRowSql(shape, deletable));
  if (!row) throw new Error(`${shape.schema}.${shape.name} has no row${deletable ? ' that nothing refers to' : ''}: expected the golden to hold one.`);
  return row;
}

const whereKey = (shape: TableShape, startAt = 1) => shape.primaryKey.map((k, i) => `${quoteIdent(k)} = $${i + startAt}`).join(' AND ');

/** Inserts a copy of an existing row with a new key; unique text columns get a suffix so the copy is allowed. */
export async function insertCopyOfRow(client: ClientBase, scope: AppScope, table: string): Promise<void> {
  const shape = await tableShape(client, scope, table);
  const row = await rowOrFail(client, shape, false);
  const copied = shape.columns.map((name, i) => ({ name, type: shape.columnTypes[i] })).filter((c) => !shape.serialColumns.includes(c.name));
  const expressions = copied.map((c) =>
    shape.uniqueColumns.includes(c.name) && TEXT_TYPE.test(c.type) ? `${quoteIdent(c.name)} || ' (copy)'` : quoteIdent(c.name));
  const t = qualified(scope.schema, table);
  await client.query(
    `INSERT INTO ${t} (${copied.map((c) => quoteIdent(c.name)).join(', ')})
     SELECT ${expressions.join(', ')} FROM ${t} WHERE ${whereKey(shape)}`,
    shape.primaryKey.map((k) => row[k]),
  );
}

/** Changes one column of one row: text gets a suffix, numbers grow by one, anything else is set to NULL. */
export async function updateOneRow(client: ClientBase, scope: AppScope, table: string, column: string): Promise<void> {
  const shape = await tableShape(client, scope, table);
  const schema = scope.schema;
  const index = shape.columns.indexOf(column);
  if (index < 0) throw new Error(`${schema}.${table} has no column ${column}: expected it from the golden.`);
  const col = { type: shape.columnTypes[index] };
  const row = await rowOrFail(client, shape, false);
  const c = quoteIdent(column);
  const expression = TEXT_TYPE.test(col.type) ? `coalesce(${c}, '') || ' (changed)'` : /^(integer|bigint|smallint|numeric|double|real)/.test(col.type) ? `coalesce(${c}, 0) + 1` : 'NULL';
  const { rowCount } = await client.query(`UPDATE ${qualified(schema, table)} SET ${c} = ${expression} WHERE ${whereKey(shape)}`, shape.primaryKey.map((k) => row[k]));
  if (rowCount !== 1) throw new Error(`Expected to change one row of ${schema}.${table}, changed ${rowCount}.`);
}

/** Deletes one row that no foreign key refers to. */
export async function deleteOneRow(client: ClientBase, scope: AppScope, table: string): Promise<void> {
  const shape = await tableShape(client, scope, table);
  const schema = scope.schema;
  const row = await rowOrFail(client, shape, true);
  const { rowCount } = await client.query(`DELETE FROM ${qualified(schema, table)} WHERE ${whereKey(shape)}`, shape.primaryKey.map((k) => row[k]));
  if (rowCount !== 1) throw new Error(`Expected to delete one row of ${schema}.${table}, deleted ${rowCount}.`);
}

export async function dropTable(client: ClientBase, scope: AppScope, table: string): Promise<void> {
  await client.query(`DROP TABLE ${qualified(scope.schema, table)} CASCADE`);
}

/**
 * Creates a table the way an application would, once as the sandbox owner and once as the login itself,
 * so both kinds of ownership are covered by the reset.
 */
export async function addTables(client: ClientBase, scope: AppScope, ownerRole: string, names: [asOwner: string, asLogin: string]): Promise<void> {
  const schema = scope.schema;
  await client.query(`SET ROLE ${quoteIdent(ownerRole)}; CREATE TABLE ${qualified(schema, names[0])} (rowid serial PRIMARY KEY, note text); RESET ROLE;
    CREATE TABLE ${qualified(schema, names[1])} (rowid serial PRIMARY KEY, note text); INSERT INTO ${qualified(schema, names[1])} (note) VALUES ('left behind');`);
}

/** Draws numbers from the sequence behind a table's key without using them, as a failed insert would. */
export async function advanceKeySequence(client: ClientBase, scope: AppScope, table: string, times: number): Promise<void> {
  const shape = await tableShape(client, scope, table);
  if (!shape.keySequence) throw new Error(`${scope.schema}.${table} has no sequence behind its key: expected a serial rowid.`);
  await client.query(`SELECT pg_catalog.nextval($1::regclass) FROM generate_series(1, $2)`, [shape.keySequence, times]);
}
