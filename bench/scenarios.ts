import type { ClientBase } from 'pg';
import { SqlAgent } from '../support/agent';
import type { PgConnection } from '../support/db/connect';

/**
 * What the benchmarked scenarios do to the large fixture before each reset. Only the reset that follows
 * is timed. Each is a plausible scenario of the suite, written against the fixture's own tables.
 */
export interface BenchScenario {
  name: string;
  /** One line for the results table. */
  describes: string;
  apply(client: ClientBase, run: number): Promise<void>;
}

/** Three leaf tables (nothing points at their rows): a new order line, an edited log line, a deleted history line. */
export const LEAF_SCENARIO: BenchScenario = {
  name: 'leaf',
  describes: 'insert 2 order lines, update 1 proposal log line, delete 1 ticket history line',
  async apply(client, run) {
    await client.query(`
      INSERT INTO llx_commande_det (fk_commande, fk_product, description, qty, subprice, tva_tx, total_ht, rang, special_code)
      VALUES (${10 + run}, 3, 'Bench line ${run}', 2, 15.5, 20, 31, 1, 0), (${10 + run}, NULL, 'Bench line ${run}b', 1, 5, 20, 5, 2, 0);
      UPDATE llx_propal_log SET label = label || ' (bench ${run})' WHERE rowid = ${7 + run};
      DELETE FROM llx_ticket_history WHERE rowid = ${11 + run};`);
  },
};

/**
 * The hub, llx_societe, which about 150 foreign keys point at: ten customers renamed (each row goes back by
 * delete and re-insert under those keys), a new customer with an order, an order line and a contact link.
 */
export const HUB_SCENARIO: BenchScenario = {
  name: 'hub',
  describes: 'rename 10 customers (llx_societe, ~150 keys point at it), add a customer with an order, a line and a contact',
  async apply(client, run) {
    await client.query(`
      UPDATE llx_societe SET nom = nom || ' (renamed ${run})', fk_user_modif = 2 WHERE rowid IN (SELECT 100 + ${run} + g * 997 FROM generate_series(0, 9) g);
      INSERT INTO llx_societe (nom, entity, status, code_client, client, fournisseur, datec, fk_user_creat)
      VALUES ('Bench customer ${run}', 1, 1, 'BENCH${run}', 1, 0, '2025-01-15', 1);
      INSERT INTO llx_commande (ref, entity, label, fk_soc, fk_user_author, total_ht, total_tva, total_ttc, status, datec)
      VALUES ('BENCH-${run}', 1, 'Bench order', currval('llx_societe_rowid_seq'), 1, 100, 20, 120, 0, '2025-01-15');
      INSERT INTO llx_commande_det (fk_commande, fk_product, description, qty, subprice, tva_tx, total_ht, rang, special_code)
      VALUES (currval('llx_commande_rowid_seq'), 3, 'Bench line', 1, 100, 20, 100, 1, 0);
      INSERT INTO llx_commande_contact (datecreate, statut, fk_commande, fk_c_type_contact, fk_socpeople, fk_soc)
      VALUES ('2025-01-15', 4, currval('llx_commande_rowid_seq'), 40, 1, currval('llx_societe_rowid_seq'));`);
  },
};

/** The diff feature's scenario, through the agent's own effects: a customer, a product, an invoice of three, validated. */
export async function agentInvoiceScenario(db: PgConnection, login: string, run: number): Promise<void> {
  const agent = new SqlAgent({ db, appSchema: 'public', login });
  try {
    const customer = await agent.registerCustomer({ name: `Atelier Zoé & Fils ${run}`, town: 'Grenoble' });
    const product = await agent.createProduct({ ref: `WIDGET-${run}`, label: 'Widget 3000', price: 20, vatRate: 20 });
    const invoice = await agent.createInvoice({ customerId: customer.id, date: '2025-01-15' });
    await agent.addInvoiceLine(invoice.id, { productId: product.id, quantity: 3, unitPrice: 20, vatRate: 20 });
    await agent.validateInvoice(invoice.id);
  } finally {
    await agent.close();
  }
}
