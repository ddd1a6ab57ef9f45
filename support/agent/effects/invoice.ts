import { DolibarrRefusal, insertSql, readConst, table, type EffectContext } from './context';
import { nextInvoiceRef } from './numbering';

/** What POST /invoices carries, in Facture's terms. */
export interface InvoiceFields {
  socid: number;
  /** Invoice date, YYYY-MM-DD. */
  date: string;
  /** 0 standard (the only type the harness creates). */
  type: number;
}

/** What POST /invoices/{id}/lines carries, in FactureLigne's terms. */
export interface InvoiceLineFields {
  productId: number | null;
  qty: number | string;
  /** Unit price excluding tax. */
  subprice: number | string;
  /** VAT rate in percent. */
  vatRate: number | string;
  description: string;
}

const DRAFT = 0;
const VALIDATED = 1;

async function requireInvoice(ctx: EffectContext, id: number): Promise<{ status: number; type: number; datef: string }> {
  const { rows } = await ctx.client.query<{ status: number; type: number; datef: string }>(
    `SELECT fk_statut AS status, type, to_char(datef, 'YYYY-MM-DD') AS datef FROM ${table(ctx, 'llx_facture')} WHERE rowid = $1 AND entity = 1 FOR UPDATE`,
    [id],
  );
  if (!rows.length) throw new DolibarrRefusal(404, 'Invoice not found', `no invoice ${id} in entity 1; ids from before the last reset are gone`);
  return rows[0];
}

/**
 * Facture::create() as the API calls it: a draft "(PROV<id>)" invoice of the customer, with no payment terms
 * (so the due date is the invoice date), the default PDF model, and the company currency at rate 1.
 */
export async function createInvoice(ctx: EffectContext, fields: InvoiceFields): Promise<number> {
  const { rows: customer } = await ctx.client.query(`SELECT 1 FROM ${table(ctx, 'llx_societe')} WHERE rowid = $1 AND entity = 1`, [fields.socid]);
  if (!customer.length) throw new DolibarrRefusal(500, 'Error creating invoice', `ErrorFailedToLoadThirdParty: no third party ${fields.socid} in entity 1`);
  const modelPdf = await readConst(ctx, 'FACTURE_ADDON_PDF');
  const currency = (await readConst(ctx, 'MAIN_MONNAIE')) ?? 'EUR';
  const sql = insertSql(
    table(ctx, 'llx_facture'),
    [
      ['ref', "'(PROV)'"],
      ['entity', '1'],
      ['type', '$2'],
      ['fk_soc', '$1'],
      ['datec', "date_trunc('second', LOCALTIMESTAMP)"],
      ['datef', '$3::date'],
      ['date_lim_reglement', '$3::date'],
      ['remise_absolue', '0'],
      ['remise_percent', '0'],
      ['fk_user_author', '$4'],
      ['fk_cond_reglement', '0'],
      ['model_pdf', '$5'],
      ['situation_final', '0'],
      ['fk_incoterms', '0'],
      ['location_incoterms', "''"],
      ['fk_multicurrency', '0'],
      ['multicurrency_code', '$6'],
      ['multicurrency_tx', '1'],
    ],
    'rowid',
  );
  const { rows: [row] } = await ctx.client.query<{ rowid: number }>(sql, [fields.socid, fields.type, fields.date, ctx.userId, modelPdf, currency]);
  // Dolibarr inserts "(PROV)" and renames it once the id is known.
  await ctx.client.query(`UPDATE ${table(ctx, 'llx_facture')} SET ref = '(PROV' || rowid || ')' WHERE rowid = $1`, [row.rowid]);
  return row.rowid;
}

// Facture::update_price(): the invoice's totals are the sums of its lines'.
async function updateTotals(ctx: EffectContext, id: number): Promise<void> {
  await ctx.client.query(
    `UPDATE ${table(ctx, 'llx_facture')} f
        SET total_ht = s.ht, total_tva = s.tva, localtax1 = s.lt1, localtax2 = s.lt2, total_ttc = s.ttc,
            multicurrency_total_ht = s.mht, multicurrency_total_tva = s.mtva, multicurrency_total_ttc = s.mttc
       FROM (SELECT coalesce(sum(total_ht), 0) AS ht, coalesce(sum(total_tva), 0) AS tva, coalesce(sum(total_localtax1), 0) AS lt1,
                    coalesce(sum(total_localtax2), 0) AS lt2, coalesce(sum(total_ttc), 0) AS ttc, coalesce(sum(multicurrency_total_ht), 0) AS mht,
                    coalesce(sum(multicurrency_total_tva), 0) AS mtva, coalesce(sum(multicurrency_total_ttc), 0) AS mttc
               FROM ${table(ctx, 'llx_facturedet')} WHERE fk_facture = $1) AS s
      WHERE f.rowid = $1`,
    [id],
  );
}

/**
 * Facture::addline() on a draft: the line goes last (rang), its type is the product's, its totals are
 * calcul_price_total()'s with 2-decimal totals (total_ttc rounded from total_ht, VAT the difference), and the
 * invoice totals are recomputed.
 */
export async function addInvoiceLine(ctx: EffectContext, invoiceId: number, line: InvoiceLineFields): Promise<number> {
  const invoice = await requireInvoice(ctx, invoiceId);
  const refuse = (why: string) => new DolibarrRefusal(400, 'Unable to insert the new line. Check your inputs.', why);
  if (invoice.status !== DRAFT) throw refuse(`invoice ${invoiceId} is not a draft (status ${invoice.status}); lines are added to drafts only`);
  let productType = 0;
  if (line.productId !== null) {
    const { rows } = await ctx.client.query<{ type: number }>(`SELECT fk_product_type AS type FROM ${table(ctx, 'llx_product')} WHERE rowid = $1 AND entity = 1`, [line.productId]);
    if (!rows.length) throw refuse(`no product ${line.productId} in entity 1`);
    productType = rows[0].type ?? 0;
  }
  const sql = `
    WITH amounts AS (
      SELECT $3::numeric AS qty, $4::numeric AS subprice, $5::numeric AS tva,
             round($3::numeric * $4::numeric, 2) AS ht
    ), totals AS (
      SELECT *, round(ht * (1 + tva / 100), 2) AS ttc FROM amounts
    )
    ${insertSql(
      table(ctx, 'llx_facturedet'),
      [
        ['fk_facture', '$1::integer'],
        ['fk_product', '$2::integer'],
        ['description', '$6::text'],
        ['vat_src_code', "''"],
        ['tva_tx', 'totals.tva'],
        ['localtax1_tx', '0'],
        ['localtax1_type', "'0'"],
        ['localtax2_tx', '0'],
        ['localtax2_type', "'0'"],
        ['qty', 'totals.qty'],
        ['remise_percent', '0'],
        ['subprice', 'totals.subprice'],
        ['total_ht', 'totals.ht'],
        ['total_tva', 'totals.ttc - totals.ht'],
        ['total_localtax1', '0'],
        ['total_localtax2', '0'],
        ['total_ttc', 'totals.ttc'],
        ['product_type', '$7::integer'],
        ['info_bits', '0'],
        ['buy_price_ht', '0'],
        ['special_code', '0'],
        ['rang', `(SELECT coalesce(max(rang), 0) + 1 FROM ${table(ctx, 'llx_facturedet')} WHERE fk_facture = $1::integer)`],
        ['fk_code_ventilation', '0'],
        ['situation_percent', '100'],
        ['fk_user_author', '$8::integer'],
        ['fk_multicurrency', '0'],
        ['multicurrency_code', `(SELECT multicurrency_code FROM ${table(ctx, 'llx_facture')} WHERE rowid = $1::integer)`],
        ['multicurrency_subprice', 'totals.subprice'],
        ['multicurrency_total_ht', 'totals.ht'],
        ['multicurrency_total_tva', 'totals.ttc - totals.ht'],
        ['multicurrency_total_ttc', 'totals.ttc'],
      ],
      'rowid',
      'totals',
    )}`;
  const params = [invoiceId, line.productId, String(line.qty), String(line.subprice), String(line.vatRate), line.description, productType, ctx.userId];
  const { rows: [row] } = await ctx.client.query<{ rowid: number }>(sql, params);
  await updateTotals(ctx, invoiceId);
  return row.rowid;
}

/**
 * POST /invoices/{id}/validate with no warehouse: Facture::validate() gives a draft with lines its final
 * mod_facture_terre number and the validated status, as the user, today. Its totals are recomputed first.
 */
export async function validateInvoice(ctx: EffectContext, invoiceId: number): Promise<{ ref: string }> {
  const invoice = await requireInvoice(ctx, invoiceId);
  if (invoice.status !== DRAFT) throw new DolibarrRefusal(304, 'Error nothing done. May be object is already validated', `invoice ${invoiceId} has status ${invoice.status}`);
  const { rows: [{ lines }] } = await ctx.client.query<{ lines: number }>(`SELECT count(*)::int AS lines FROM ${table(ctx, 'llx_facturedet')} WHERE fk_facture = $1`, [invoiceId]);
  if (lines === 0) throw new DolibarrRefusal(500, 'Error when validating Invoice: ErrorObjectMustHaveLinesToBeValidated', `invoice ${invoiceId} has no line`);
  await updateTotals(ctx, invoiceId);
  const ref = await nextInvoiceRef(ctx, invoice.type, invoice.datef);
  await ctx.client.query(
    `UPDATE ${table(ctx, 'llx_facture')} SET ref = $2, fk_statut = ${VALIDATED}, fk_user_valid = $3, date_valid = CURRENT_DATE WHERE rowid = $1`,
    [invoiceId, ref, ctx.userId],
  );
  return { ref };
}
