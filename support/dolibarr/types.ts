/*
 * Request and result shapes of the Dolibarr REST resources the harness uses.
 * Only the fields the harness touches are named; Dolibarr accepts (and returns)
 * many more, hence the index signatures. Dolibarr assigns each request field to
 * the PHP object property of the same name, so names follow its classes
 * (Societe, Product, Facture), not the llx_* column names.
 */

/** Dolibarr ids come back as JSON numbers or numeric strings depending on the driver. */
export type DolibarrId = number | string;

/** `POST /thirdparties` body (Societe). Only `name` is mandatory. */
export interface ThirdPartyInput {
  name: string;
  /** 0 = none, 1 = customer, 2 = prospect, 3 = customer and prospect. */
  client?: 0 | 1 | 2 | 3;
  /** 0 = not a supplier, 1 = supplier. */
  fournisseur?: 0 | 1;
  /** Omit to let the configured numbering module decide. */
  code_client?: string;
  code_fournisseur?: string;
  country_id?: number;
  email?: string;
  address?: string;
  zip?: string;
  town?: string;
  phone?: string;
  [field: string]: unknown;
}

/** `PUT /thirdparties/{id}` body: any subset of the create fields. */
export type ThirdPartyUpdate = Partial<ThirdPartyInput>;

/** A third party as returned by `GET /thirdparties/{id}`. */
export interface ThirdParty {
  id: DolibarrId;
  name: string;
  client?: DolibarrId;
  fournisseur?: DolibarrId;
  code_client?: string | null;
  email?: string | null;
  [field: string]: unknown;
}

/** `POST /products` body (Product). `ref` and `label` are mandatory. */
export interface ProductInput {
  ref: string;
  label: string;
  /** Selling price, interpreted per `price_base_type`. */
  price?: number | string;
  price_ttc?: number | string;
  price_base_type?: 'HT' | 'TTC';
  /** VAT rate in percent, e.g. 20. */
  tva_tx?: number | string;
  /** 0 = product, 1 = service. */
  type?: 0 | 1;
  /** On sale (stored in llx_product.tosell). Dolibarr defaults it to 0. */
  status?: 0 | 1;
  /** On purchase (stored in llx_product.tobuy). Dolibarr defaults it to 0. */
  status_buy?: 0 | 1;
  description?: string;
  [field: string]: unknown;
}

/**
 * `PUT /products/{id}` body. Dolibarr applies price fields only when the
 * "one price per product" mode (PRODUCT_PRICE_UNIQ) is on; a price change is
 * then logged to llx_product_price.
 */
export type ProductUpdate = Partial<ProductInput>;

/** A product as returned by `GET /products/{id}`. */
export interface Product {
  id: DolibarrId;
  ref: string;
  label: string;
  price?: DolibarrId;
  price_ttc?: DolibarrId;
  price_base_type?: string;
  tva_tx?: DolibarrId;
  type?: DolibarrId;
  status?: DolibarrId;
  status_buy?: DolibarrId;
  [field: string]: unknown;
}

/** One invoice line, for `POST /invoices/{id}/lines` or the `lines` of a create. */
export interface InvoiceLineInput {
  desc: string;
  /** Unit price excluding tax. */
  subprice: number | string;
  qty: number | string;
  /** VAT rate in percent. */
  tva_tx: number | string;
  fk_product?: number;
  /** 0 = product, 1 = service. */
  product_type?: 0 | 1;
  remise_percent?: number | string;
  [field: string]: unknown;
}

/** `POST /invoices` body (Facture). Only `socid` is mandatory. */
export interface InvoiceInput {
  /** Third party id. */
  socid: number;
  /** 0 = standard, 1 = replacement, 2 = credit note, 3 = deposit. */
  type?: 0 | 1 | 2 | 3;
  /** Invoice date as a Unix timestamp in seconds; Dolibarr uses "now" when omitted. */
  date?: number;
  lines?: InvoiceLineInput[];
  [field: string]: unknown;
}

/** `POST /invoices/{id}/validate` body. */
export interface InvoiceValidateInput {
  /** Warehouse whose stock is decreased, 0 for none. */
  idwarehouse?: number;
  /** 1 skips Dolibarr triggers; 0 runs them. */
  notrigger?: 0 | 1;
}

/** An invoice line as Dolibarr returns it. */
export interface InvoiceLine {
  id?: DolibarrId;
  rowid?: DolibarrId;
  desc?: string;
  subprice?: DolibarrId;
  qty?: DolibarrId;
  tva_tx?: DolibarrId;
  fk_product?: DolibarrId | null;
  total_ht?: DolibarrId;
  total_ttc?: DolibarrId;
  [field: string]: unknown;
}

/** An invoice as returned by `GET /invoices/{id}` and `POST /invoices/{id}/validate`. */
export interface Invoice {
  id: DolibarrId;
  /** `(PROVn)` while draft; the final number once validated. */
  ref: string;
  socid?: DolibarrId;
  /** 0 = draft, 1 = validated (unpaid), 2 = paid, 3 = abandoned. */
  status?: DolibarrId;
  statut?: DolibarrId;
  fk_statut?: DolibarrId;
  total_ht?: DolibarrId;
  total_tva?: DolibarrId;
  total_ttc?: DolibarrId;
  lines?: InvoiceLine[];
  [field: string]: unknown;
}
