import { DolibarrRefusal, insertSql, table, type EffectContext } from './context';

/** What POST /products carries, in Product's terms. Amounts are decimal text or numbers. */
export interface ProductFields {
  ref: string;
  label: string;
  /** Selling price excluding tax (price_base_type HT). */
  price: number | string;
  /** VAT rate in percent. */
  vatRate: number | string;
  /** 0 product, 1 service. */
  type: number;
  /** On sale (tosell) and on purchase (tobuy). */
  onSale: number;
  onPurchase: number;
  description: string | null;
}

// Product::create() rounds unit prices with price2num(..., 'MU'): MAIN_MAX_DECIMALS_UNIT, 5 by default.
const priceTtcSql = (price: string, vat: string) => `round(${price}::numeric * (1 + ${vat}::numeric / 100), 5)`;

// Product::_log_price(): every price a product takes is appended to llx_product_price.
async function logPrice(ctx: EffectContext, productId: number): Promise<void> {
  await ctx.client.query(
    `INSERT INTO ${table(ctx, 'llx_product_price')}
            (entity, fk_product, date_price, price_level, price, price_ttc, price_min, price_min_ttc, price_base_type, default_vat_code,
             tva_tx, recuperableonly, localtax1_tx, localtax2_tx, localtax1_type, localtax2_type, fk_user_author, tosell, price_by_qty, fk_price_expression)
     SELECT 1, p.rowid, date_trunc('second', LOCALTIMESTAMP), 1, p.price, p.price_ttc, p.price_min, p.price_min_ttc, p.price_base_type, p.default_vat_code,
            p.tva_tx, p.recuperableonly, p.localtax1_tx, p.localtax2_tx, p.localtax1_type, p.localtax2_type, $2, p.tosell, 0, NULL
       FROM ${table(ctx, 'llx_product')} p WHERE p.rowid = $1`,
    [productId, ctx.userId],
  );
}

/**
 * Product::create(), its _log_price() and its update(..., 'add'): one llx_product row with the columns both
 * leave behind, and the first line of its price history.
 */
export async function createProduct(ctx: EffectContext, fields: ProductFields): Promise<number> {
  const ref = fields.ref.trim();
  if (ref === '' || fields.label.trim() === '') throw new DolibarrRefusal(400, 'ref and label must not be empty');
  const { rows: taken } = await ctx.client.query(`SELECT 1 FROM ${table(ctx, 'llx_product')} WHERE ref = $1 AND entity = 1`, [ref]);
  if (taken.length) throw new DolibarrRefusal(500, 'Error creating product', `ErrorProductAlreadyExists: a product with ref ${ref} exists`);
  const sql = insertSql(
    table(ctx, 'llx_product'),
    [
      ['ref', '$1'],
      ['entity', '1'],
      ['datec', "date_trunc('second', LOCALTIMESTAMP)"],
      ['label', '$2'],
      ['description', "coalesce($3, '')"],
      ['price', 'round($4::numeric, 5)'],
      ['price_ttc', priceTtcSql('$4', '$5')],
      ['price_min', '0'],
      ['price_min_ttc', '0'],
      ['price_base_type', "'HT'"],
      ['tva_tx', '$5::numeric'],
      ['recuperableonly', '0'],
      ['localtax1_tx', '0'],
      ['localtax2_tx', '0'],
      ['localtax1_type', "'0'"],
      ['localtax2_type', "'0'"],
      ['fk_user_author', '$6'],
      ['fk_user_modif', '$6'],
      ['fk_product_type', '$7'],
      ['tosell', '$8'],
      ['tobuy', '$9'],
      ['tobatch', '0'],
      ['duration', "''"],
      ['customcode', "''"],
      ['accountancy_code_sell', "''"],
      ['accountancy_code_sell_intra', "''"],
      ['accountancy_code_sell_export', "''"],
      ['accountancy_code_buy', "''"],
      ['accountancy_code_buy_intra', "''"],
      ['accountancy_code_buy_export', "''"],
      ['hidden', '0'],
      ['desiredstock', '0'],
      ['price_autogen', '0'],
      ['mandatory_period', '0'],
    ],
    'rowid',
  );
  const params = [ref, fields.label.trim(), fields.description, String(fields.price), String(fields.vatRate), ctx.userId, fields.type, fields.onSale, fields.onPurchase];
  const { rows: [row] } = await ctx.client.query<{ rowid: number }>(sql, params);
  await logPrice(ctx, row.rowid);
  return row.rowid;
}

async function requireProduct(ctx: EffectContext, id: number): Promise<{ price: string }> {
  const { rows } = await ctx.client.query<{ price: string }>(`SELECT price::text AS price FROM ${table(ctx, 'llx_product')} WHERE rowid = $1 AND entity = 1 FOR UPDATE`, [id]);
  if (!rows.length) throw new DolibarrRefusal(404, 'Product not found', `no product ${id} in entity 1; ids from before the last reset are gone`);
  return rows[0];
}

/**
 * PUT /products/{id} with a new price excluding tax: Product::update() (fk_user_modif), then, when the price
 * really changed, updatePrice() with the product's VAT rate, which rewrites the prices and logs the new one.
 */
export async function changeProductPrice(ctx: EffectContext, id: number, price: number | string): Promise<void> {
  const current = await requireProduct(ctx, id);
  const { rows: [{ same }] } = await ctx.client.query<{ same: boolean }>('SELECT round($1::numeric, 5) = $2::numeric AS same', [String(price), current.price]);
  if (same) {
    await ctx.client.query(`UPDATE ${table(ctx, 'llx_product')} SET fk_user_modif = $2 WHERE rowid = $1`, [id, ctx.userId]);
    return;
  }
  await ctx.client.query(
    `UPDATE ${table(ctx, 'llx_product')}
        SET price_base_type = 'HT', price = round($2::numeric, 5), price_ttc = ${priceTtcSql('$2', 'tva_tx')}, fk_user_modif = $3
      WHERE rowid = $1`,
    [id, String(price), ctx.userId],
  );
  await logPrice(ctx, id);
}

/**
 * DELETE /products/{id}: Product::delete() refuses a product any document line uses (isObjectUsed); otherwise
 * its price history goes with it.
 */
export async function deleteProduct(ctx: EffectContext, id: number): Promise<void> {
  await requireProduct(ctx, id);
  const { rows: [{ used }] } = await ctx.client.query<{ used: number }>(`SELECT count(*)::int AS used FROM ${table(ctx, 'llx_facturedet')} WHERE fk_product = $1`, [id]);
  if (used > 0) throw new DolibarrRefusal(409, "Can't delete, that product is probably used", `${used} invoice line(s) refer to product ${id}`);
  await ctx.client.query(`DELETE FROM ${table(ctx, 'llx_product_price')} WHERE fk_product = $1`, [id]);
  await ctx.client.query(`DELETE FROM ${table(ctx, 'llx_product')} WHERE rowid = $1`, [id]);
}
