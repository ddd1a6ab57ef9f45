import type { ClientBase } from 'pg';
import { qualified, quoteIdent } from '../../db/ident';

/** Where a table effect runs and who it is attributed to. */
export interface EffectContext {
  client: ClientBase;
  /** Schema of the Dolibarr tables (BDD_APP_SCHEMA). */
  schema: string;
  /** llx_user.rowid of the acting Dolibarr user: fk_user_creat, fk_user_author, fk_user_valid ... */
  userId: number;
}

/**
 * Dolibarr said no: the HTTP status and message its REST API would answer with (Restler's
 * "<reason>: <message>" without the reason), plus what was found, for the SQL path's errors.
 */
export class DolibarrRefusal extends Error {
  override readonly name = 'DolibarrRefusal';

  constructor(
    readonly status: number,
    /** What Dolibarr's API puts in error.message after the reason phrase, e.g. "Thirdparty not found". */
    readonly dolibarrMessage: string,
    detail?: string,
  ) {
    super(detail ? `${dolibarrMessage} (${detail})` : dolibarrMessage);
  }
}

/** The quoted, schema-qualified name of a Dolibarr table. */
export function table(ctx: Pick<EffectContext, 'schema'>, name: string): string {
  return qualified(ctx.schema, name);
}

/** One business operation is one transaction, as in Dolibarr ($db->begin() ... commit()). */
export async function inTransaction<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A setup constant (llx_const) of entity 1, or of entity 0 (all entities) when entity 1 has none. */
export async function readConst(ctx: EffectContext, name: string): Promise<string | null> {
  const { rows } = await ctx.client.query<{ value: string }>(
    `SELECT value FROM ${table(ctx, 'llx_const')} WHERE name = $1 AND entity IN (0, 1) ORDER BY entity DESC LIMIT 1`,
    [name],
  );
  return rows[0]?.value ?? null;
}

/** Dolibarr's getDolGlobalString() truthiness: set, and neither empty nor "0". */
export async function constIsOn(ctx: EffectContext, name: string): Promise<boolean> {
  const value = await readConst(ctx, name);
  return value !== null && value !== '' && value !== '0';
}

/**
 * Builds an INSERT from (column, SQL expression) pairs, so each column's value sits beside its name. With
 * `from`, the expressions are selected from it (e.g. a CTE of computed amounts) instead of being VALUES.
 */
export function insertSql(
  qualifiedTable: string,
  values: readonly (readonly [column: string, expression: string])[],
  returning: string,
  from?: string,
): string {
  const columns = values.map(([column]) => quoteIdent(column)).join(', ');
  const expressions = values.map(([, expression]) => expression).join(', ');
  const source = from === undefined ? `VALUES (${expressions})` : `SELECT ${expressions} FROM ${from}`;
  return `INSERT INTO ${qualifiedTable} (${columns}) ${source} RETURNING ${returning}`;
}
