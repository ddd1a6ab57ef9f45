import type { ClientBase } from 'pg';
import { qualified } from '../../support/db/ident';

/*
 * What the GET endpoints (and the PUT and validate answers, which return the object) show: the fields the
 * harness reads, under the names of Dolibarr's PHP objects. Amounts come back as PostgreSQL prints numeric,
 * strings such as "37.50000000", as Dolibarr on PostgreSQL returns them.
 */

export async function thirdPartyView(client: ClientBase, schema: string, id: number): Promise<Record<string, unknown> | null> {
  const { rows } = await client.query(
    `SELECT rowid AS id, nom AS name, name_alias, entity, status, client, fournisseur, code_client, code_fournisseur,
            email, address, zip, town, fk_pays AS country_id, fk_user_creat AS user_creation_id, fk_user_modif AS user_modification_id
       FROM ${qualified(schema, 'llx_societe')} WHERE rowid = $1 AND entity = 1`,
    [id],
  );
  return rows[0] ?? null;
}

export async function productView(client: ClientBase, schema: string, id: number): Promise<Record<string, unknown> | null> {
  const { rows } = await client.query(
    `SELECT rowid AS id, ref, label, description, entity, fk_product_type AS type, tosell AS status, tobuy AS status_buy,
            price::text AS price, price_ttc::text AS price_ttc, price_base_type, tva_tx::text AS tva_tx
       FROM ${qualified(schema, 'llx_product')} WHERE rowid = $1 AND entity = 1`,
    [id],
  );
  return rows[0] ?? null;
}

export async function invoiceView(client: ClientBase, schema: string, id: number): Promise<Record<string, unknown> | null> {
  const { rows } = await client.query(
    `SELECT rowid AS id, ref, entity, type, fk_soc AS socid, fk_statut AS status, fk_statut AS statut, fk_statut,
            extract(epoch FROM datef::timestamp)::bigint AS date, total_ht::text AS total_ht, total_tva::text AS total_tva,
            total_ttc::text AS total_ttc, fk_user_author AS user_author, fk_user_valid AS user_valid, multicurrency_code
       FROM ${qualified(schema, 'llx_facture')} WHERE rowid = $1 AND entity = 1`,
    [id],
  );
  if (!rows[0]) return null;
  const { rows: lines } = await client.query(
    `SELECT rowid AS id, rowid, description AS desc, fk_product, product_type, qty::text AS qty, subprice::text AS subprice,
            tva_tx::text AS tva_tx, total_ht::text AS total_ht, total_tva::text AS total_tva, total_ttc::text AS total_ttc, rang
       FROM ${qualified(schema, 'llx_facturedet')} WHERE fk_facture = $1 ORDER BY rang, rowid`,
    [id],
  );
  return { ...rows[0], date: Number(rows[0].date), lines };
}
