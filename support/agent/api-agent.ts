import { DolibarrClient, type DolibarrClientOptions } from '../dolibarr';
import type { AgentActions, NewCustomer, NewInvoice, NewInvoiceLine, NewProduct } from './actions';
import { dolibarrCountryId } from './countries';
import { checkId, checkLine, checkPrice, checkProduct, invoiceTimestamp } from './inputs';

/**
 * The agent acting through Dolibarr's REST API with its own key, the way a deployed agent does. Every request
 * goes through DolibarrClient's host guard, pinned to the sandbox's origin.
 */
export class ApiAgent implements AgentActions {
  readonly #dolibarr: DolibarrClient;

  /** `options.baseUrl` is the sandbox Dolibarr's root; `options.apiKey` the agent's key (never printed). */
  constructor(options: DolibarrClientOptions) {
    this.#dolibarr = new DolibarrClient(options);
  }

  async registerCustomer(customer: NewCustomer): Promise<{ id: number }> {
    const id = await this.#dolibarr.thirdParties.create({
      name: customer.name,
      client: 1,
      fournisseur: 0,
      // Dolibarr numbers the customer (SOCIETE_CODECLIENT_ADDON) only when asked to with "auto" or -1.
      code_client: 'auto',
      ...(customer.email === undefined ? {} : { email: customer.email }),
      ...(customer.town === undefined ? {} : { town: customer.town }),
      ...(customer.countryCode === undefined ? {} : { country_id: dolibarrCountryId(customer.countryCode) }),
    });
    return { id };
  }

  async createProduct(product: NewProduct): Promise<{ id: number }> {
    const p = checkProduct(product);
    const id = await this.#dolibarr.products.create({
      ref: p.ref,
      label: p.label,
      price: p.price,
      price_base_type: 'HT',
      tva_tx: p.vatRate,
      type: 0,
      // Dolibarr creates products neither on sale nor on purchase unless told.
      status: 1,
      status_buy: 1,
    });
    return { id };
  }

  async changeProductPrice(productId: number, price: number): Promise<void> {
    await this.#dolibarr.products.update(checkId('productId', productId), { price: checkPrice(price), price_base_type: 'HT' });
  }

  async createInvoice(invoice: NewInvoice): Promise<{ id: number }> {
    const id = await this.#dolibarr.invoices.create({ socid: checkId('customerId', invoice.customerId), type: 0, date: invoiceTimestamp(invoice.date) });
    return { id };
  }

  async addInvoiceLine(invoiceId: number, line: NewInvoiceLine): Promise<{ id: number }> {
    const l = checkLine(line);
    const id = await this.#dolibarr.invoices.addLine(checkId('invoiceId', invoiceId), {
      desc: l.description ?? '',
      subprice: l.unitPrice,
      qty: l.quantity,
      tva_tx: l.vatRate,
      fk_product: l.productId,
    });
    return { id };
  }

  async validateInvoice(invoiceId: number): Promise<{ ref: string }> {
    const invoice = await this.#dolibarr.invoices.validate(checkId('invoiceId', invoiceId));
    return { ref: invoice.ref };
  }

  async renameCustomer(customerId: number, name: string): Promise<void> {
    await this.#dolibarr.thirdParties.update(checkId('customerId', customerId), { name });
  }

  async deleteProduct(productId: number): Promise<void> {
    await this.#dolibarr.products.delete(checkId('productId', productId));
  }

  close(): Promise<void> {
    return this.#dolibarr.close();
  }
}
