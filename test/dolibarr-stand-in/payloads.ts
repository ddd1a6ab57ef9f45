import type { InvoiceFields, InvoiceLineFields, ProductFields, ThirdPartyFields } from '../../support/agent/effects';
import { HttpError } from './replies';

/*
 * Request bodies of the endpoints the harness uses, read the way Dolibarr's API assigns them to its objects.
 * A field the stand-in does not implement is refused (501) rather than ignored, so that a gap between the
 * stand-in and Dolibarr shows up as an error instead of a silent difference.
 */

export type Body = Record<string, unknown>;

export function asBody(value: unknown, endpoint: string): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, `${endpoint} expects a JSON object`);
  return value as Body;
}

function onlyFields(body: Body, allowed: readonly string[], endpoint: string): void {
  const unknown = Object.keys(body).filter((field) => !allowed.includes(field));
  if (unknown.length) {
    throw new HttpError(501, `the Dolibarr stand-in does not implement field(s) ${unknown.join(', ')} of ${endpoint} (it implements ${allowed.join(', ')})`);
  }
}

function required(body: Body, field: string): unknown {
  // DolibarrApi::_validate(): "<field> field missing".
  if (body[field] === undefined || body[field] === null) throw new HttpError(400, `${field} field missing`);
  return body[field];
}

function decimal(body: Body, field: string, fallback: string): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') return fallback;
  if ((typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) return String(value);
  throw new HttpError(400, `${field} must be a number, got ${JSON.stringify(value)}`);
}

function integer(body: Body, field: string, fallback: number): number {
  const text = decimal(body, field, String(fallback));
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new HttpError(400, `${field} must be an integer, got ${JSON.stringify(body[field])}`);
  return value;
}

function text(body: Body, field: string): string | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new HttpError(400, `${field} must be a string`);
  return value;
}

function only(body: Body, field: string, allowed: readonly (string | number)[], why: string): void {
  const value = body[field];
  if (value !== undefined && value !== null && !allowed.some((a) => String(a) === String(value))) {
    throw new HttpError(501, `the Dolibarr stand-in implements ${field} ${allowed.join(' or ')} only (${why}), got ${JSON.stringify(value)}`);
  }
}

export function thirdPartyCreate(body: Body): ThirdPartyFields {
  onlyFields(body, ['name', 'client', 'fournisseur', 'code_client', 'email', 'town', 'country_id'], 'POST /thirdparties');
  const name = required(body, 'name');
  if (typeof name !== 'string') throw new HttpError(400, 'name must be a string');
  const code = body.code_client;
  return {
    name,
    client: integer(body, 'client', 0),
    fournisseur: integer(body, 'fournisseur', 0),
    codeClient: code === undefined || code === null ? null : String(code),
    email: text(body, 'email'),
    town: text(body, 'town'),
    countryId: body.country_id === undefined || body.country_id === null ? null : integer(body, 'country_id', 0),
  };
}

export function thirdPartyRename(body: Body): string {
  onlyFields(body, ['name'], 'PUT /thirdparties/{id}');
  const name = required(body, 'name');
  if (typeof name !== 'string') throw new HttpError(400, 'name must be a string');
  return name;
}

export function productCreate(body: Body): ProductFields {
  onlyFields(body, ['ref', 'label', 'price', 'price_base_type', 'tva_tx', 'type', 'status', 'status_buy', 'description'], 'POST /products');
  const ref = required(body, 'ref');
  const label = required(body, 'label');
  if (typeof ref !== 'string' || typeof label !== 'string') throw new HttpError(400, 'ref and label must be strings');
  only(body, 'price_base_type', ['HT'], 'prices excluding tax');
  return {
    ref,
    label,
    price: decimal(body, 'price', '0'),
    vatRate: decimal(body, 'tva_tx', '0'),
    type: integer(body, 'type', 0),
    // Product's constructor leaves a new product neither on sale nor on purchase.
    onSale: integer(body, 'status', 0),
    onPurchase: integer(body, 'status_buy', 0),
    description: text(body, 'description'),
  };
}

export function productPrice(body: Body): string {
  onlyFields(body, ['price', 'price_base_type'], 'PUT /products/{id}');
  only(body, 'price_base_type', ['HT'], 'prices excluding tax');
  required(body, 'price');
  return decimal(body, 'price', '0');
}

// The invoice date as YYYY-MM-DD: Dolibarr takes a Unix timestamp (and "now" without one); read in UTC.
function invoiceDate(body: Body): string {
  if (body.date === undefined || body.date === null) return new Date().toISOString().slice(0, 10);
  const seconds = Number(decimal(body, 'date', '0'));
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

export function invoiceCreate(body: Body): InvoiceFields {
  onlyFields(body, ['socid', 'type', 'date'], 'POST /invoices');
  required(body, 'socid');
  only(body, 'type', [0], 'standard invoices');
  return { socid: integer(body, 'socid', 0), date: invoiceDate(body), type: 0 };
}

export function invoiceLine(body: Body): InvoiceLineFields {
  onlyFields(body, ['desc', 'subprice', 'qty', 'tva_tx', 'fk_product', 'product_type', 'remise_percent'], 'POST /invoices/{id}/lines');
  only(body, 'remise_percent', [0], 'lines without discount');
  const productId = body.fk_product === undefined || body.fk_product === null ? null : integer(body, 'fk_product', 0);
  return {
    productId: productId !== null && productId > 0 ? productId : null,
    qty: decimal(body, 'qty', '0'),
    subprice: decimal(body, 'subprice', '0'),
    vatRate: decimal(body, 'tva_tx', '0'),
    description: text(body, 'desc') ?? '',
  };
}

export function invoiceValidate(body: Body): void {
  onlyFields(body, ['idwarehouse', 'notrigger'], 'POST /invoices/{id}/validate');
  only(body, 'idwarehouse', [0], 'no stock movement');
}
