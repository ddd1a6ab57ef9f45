import { table, type EffectContext } from './context';

// Both numbering modules take max() over every code of the mask, as Dolibarr does
// (SUBSTRING(... FROM <prefix length + 6>) cast to an integer); the CASE skips codes whose tail is not a number,
// where MySQL's CAST AS SIGNED would read them as 0.

/**
 * Next customer code of mod_codeclient_monkey: CU<yymm of today>-<n>, n = 1 + the highest number of any
 * CU????-... code, on 5 digits. The month is today's, so it is the one value here that depends on the date.
 */
export async function nextCustomerCode(ctx: EffectContext): Promise<string> {
  const { rows: [row] } = await ctx.client.query<{ code: string }>(
    `SELECT 'CU' || to_char(LOCALTIMESTAMP, 'YYMM') || '-' || CASE WHEN n > 99999 THEN n::text ELSE lpad(n::text, 5, '0') END AS code
       FROM (SELECT coalesce(max(CASE WHEN substring(code_client FROM 8) ~ '^[0-9]{1,18}$' THEN substring(code_client FROM 8)::bigint END), 0) + 1 AS n
               FROM ${table(ctx, 'llx_societe')}
              WHERE code_client LIKE 'CU____-%' AND entity = 1) AS counter`,
  );
  return row.code;
}

// Invoice ref prefixes of mod_facture_terre by invoice type: standard, replacement, credit note, deposit.
const TERRE_PREFIX: Record<number, string> = { 0: 'FA', 1: 'FA', 2: 'AV', 3: 'AC' };

/**
 * Final ref of mod_facture_terre for an invoice: <prefix><yymm of the invoice date>-<n>, n = 1 + the highest
 * number of any ref with that prefix, on 4 digits. Deterministic: it depends on the data and the invoice date only.
 */
export async function nextInvoiceRef(ctx: EffectContext, invoiceType: number, invoiceDate: string): Promise<string> {
  const prefix = TERRE_PREFIX[invoiceType] ?? 'FA';
  const { rows: [row] } = await ctx.client.query<{ ref: string }>(
    `SELECT $1 || to_char($2::date, 'YYMM') || '-' || CASE WHEN n > 9999 THEN n::text ELSE lpad(n::text, 4, '0') END AS ref
       FROM (SELECT coalesce(max(CASE WHEN substring(ref FROM 8) ~ '^[0-9]{1,18}$' THEN substring(ref FROM 8)::bigint END), 0) + 1 AS n
               FROM ${table(ctx, 'llx_facture')}
              WHERE ref LIKE $1 || '____-%' AND entity = 1) AS counter`,
    [prefix, invoiceDate],
  );
  return row.ref;
}
