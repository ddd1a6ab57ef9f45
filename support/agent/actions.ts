/** A customer to register: a third party that is a customer (client = 1), with a generated customer code. */
export interface NewCustomer {
  name: string;
  email?: string;
  town?: string;
  /** ISO 3166 alpha-2, e.g. "FR". */
  countryCode?: string;
}

/** A product on sale and on purchase, priced excluding tax. */
export interface NewProduct {
  ref: string;
  label: string;
  /** Selling price excluding tax. */
  price: number;
  /** VAT rate in percent, e.g. 20. */
  vatRate: number;
}

/** A draft invoice of a customer. */
export interface NewInvoice {
  customerId: number;
  /** Invoice date as YYYY-MM-DD; the final number's yymm comes from it. */
  date: string;
}

/** A line of a product on a draft invoice. */
export interface NewInvoiceLine {
  productId: number;
  quantity: number;
  /** Unit price excluding tax. */
  unitPrice: number;
  /** VAT rate in percent. */
  vatRate: number;
  /** Line text; empty when not given, as Dolibarr stores a line without one. */
  description?: string;
}

/**
 * What the agent does in the ERP, in business terms. Every implementation has the same effect on the
 * sandbox's tables, so a scenario's outcome does not depend on the path the agent takes.
 */
export interface AgentActions {
  registerCustomer(customer: NewCustomer): Promise<{ id: number }>;
  createProduct(product: NewProduct): Promise<{ id: number }>;
  /** A new selling price excluding tax; the VAT rate stays. */
  changeProductPrice(productId: number, price: number): Promise<void>;
  createInvoice(invoice: NewInvoice): Promise<{ id: number }>;
  addInvoiceLine(invoiceId: number, line: NewInvoiceLine): Promise<{ id: number }>;
  /** Gives a draft its final number and the validated status. */
  validateInvoice(invoiceId: number): Promise<{ ref: string }>;
  renameCustomer(customerId: number, name: string): Promise<void>;
  /** Refused for a product that an invoice line uses. */
  deleteProduct(productId: number): Promise<void>;
  /** Releases the connection or HTTP pool. */
  close(): Promise<void>;
}
