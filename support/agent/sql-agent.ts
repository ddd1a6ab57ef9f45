import type { Client } from 'pg';
import { connect, type PgConnection } from '../db/connect';
import type { AgentActions, NewCustomer, NewInvoice, NewInvoiceLine, NewProduct } from './actions';
import { dolibarrCountryId } from './countries';
import { inTransaction, type EffectContext } from './effects/context';
import { addInvoiceLine, createInvoice, validateInvoice } from './effects/invoice';
import { changeProductPrice, createProduct, deleteProduct } from './effects/product';
import { createThirdParty, renameThirdParty } from './effects/thirdparty';
import { agentUserId } from './effects/users';
import { checkId, checkInvoiceDate, checkLine, checkPrice, checkProduct } from './inputs';
import { explainConnectionLost, isConnectionLost } from '../db/connection-lost';

/** Options of {@link SqlAgent}. */
export interface SqlAgentOptions {
  /** Connection to the sandbox database (the runtime role). */
  db: PgConnection;
  /** Schema of the Dolibarr tables. */
  appSchema: string;
  /** Login of the agent's Dolibarr user, to whom every row is attributed. */
  login: string;
}

/**
 * The agent acting directly on the sandbox's tables, with the effects Dolibarr's REST API would have
 * (support/agent/effects, which the Dolibarr stand-in also runs). One connection, one transaction per action.
 */
export class SqlAgent implements AgentActions {
  #client: Promise<{ client: Client; userId: number }> | undefined;
  // One connection carries one transaction at a time: actions run one after the other.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SqlAgentOptions) {}

  async registerCustomer(customer: NewCustomer): Promise<{ id: number }> {
    const countryId = customer.countryCode === undefined ? null : dolibarrCountryId(customer.countryCode);
    const id = await this.#act((ctx) =>
      createThirdParty(ctx, { name: customer.name, client: 1, fournisseur: 0, codeClient: 'auto', email: customer.email ?? null, town: customer.town ?? null, countryId }),
    );
    return { id };
  }

  async createProduct(product: NewProduct): Promise<{ id: number }> {
    const p = checkProduct(product);
    const id = await this.#act((ctx) =>
      createProduct(ctx, { ref: p.ref, label: p.label, price: p.price, vatRate: p.vatRate, type: 0, onSale: 1, onPurchase: 1, description: null }),
    );
    return { id };
  }

  async changeProductPrice(productId: number, price: number): Promise<void> {
    checkId('productId', productId);
    checkPrice(price);
    await this.#act((ctx) => changeProductPrice(ctx, productId, price));
  }

  async createInvoice(invoice: NewInvoice): Promise<{ id: number }> {
    checkId('customerId', invoice.customerId);
    const date = checkInvoiceDate(invoice.date);
    const id = await this.#act((ctx) => createInvoice(ctx, { socid: invoice.customerId, date, type: 0 }));
    return { id };
  }

  async addInvoiceLine(invoiceId: number, line: NewInvoiceLine): Promise<{ id: number }> {
    checkId('invoiceId', invoiceId);
    const l = checkLine(line);
    const id = await this.#act((ctx) =>
      addInvoiceLine(ctx, invoiceId, { productId: l.productId, qty: l.quantity, subprice: l.unitPrice, vatRate: l.vatRate, description: l.description ?? '' }),
    );
    return { id };
  }

  async validateInvoice(invoiceId: number): Promise<{ ref: string }> {
    checkId('invoiceId', invoiceId);
    return this.#act((ctx) => validateInvoice(ctx, invoiceId));
  }

  async renameCustomer(customerId: number, name: string): Promise<void> {
    checkId('customerId', customerId);
    await this.#act((ctx) => renameThirdParty(ctx, customerId, name));
  }

  async deleteProduct(productId: number): Promise<void> {
    checkId('productId', productId);
    await this.#act((ctx) => deleteProduct(ctx, productId));
  }

  async close(): Promise<void> {
    const opened = this.#client;
    this.#client = undefined;
    if (opened) await (await opened.catch(() => undefined))?.client.end().catch(() => undefined);
  }

  // Connects on first use and finds the agent's user; a failed attempt is retried by the next action.
  #open(): Promise<{ client: Client; userId: number }> {
    this.#client ??= (async () => {
      const client = await connect(this.options.db);
      try {
        return { client, userId: await agentUserId(client, this.options.appSchema, this.options.login) };
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
    })().catch((error: unknown) => {
      this.#client = undefined;
      throw error;
    });
    return this.#client;
  }

  #act<T>(work: (ctx: EffectContext) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const { client, userId } = await this.#open();
      try {
        return await inTransaction(client, () => work({ client, schema: this.options.appSchema, userId }));
      } catch (error) {
        // A dropped connection is not kept: the next action opens a new one.
        if (isConnectionLost(error)) {
          this.#client = undefined;
          await client.end().catch(() => undefined);
        }
        throw explainConnectionLost(error, "the agent's action");
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
