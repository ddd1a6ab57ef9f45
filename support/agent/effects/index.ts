/*
 * The table effects of the agent's actions, as Dolibarr's REST API leaves them (from Dolibarr's
 * societe.class.php, product.class.php, facture.class.php, mod_codeclient_monkey and mod_facture_terre).
 * SqlAgent runs them directly; the Dolibarr stand-in (test/dolibarr-stand-in) runs them behind the API's
 * HTTP shapes. Known differences from a real Dolibarr:
 * - Only the columns Dolibarr sets for these requests are written (Dolibarr 16 columns, as in the fixture);
 *   columns later versions add (phone_mobile, vat_reverse_charge ...) keep their defaults.
 * - No side effects of Dolibarr triggers or modules: no agenda event (llx_actioncomm, written only with
 *   MAIN_AGENDA_ACTIONAUTO_BILL_VALIDATE), no PDF nor llx_ecm_files row, no stock movement (validation without
 *   a warehouse), no extrafields, no llx_societe_commerciaux link (the agent holds societe/client/voir).
 * - A rename sets nom and fk_user_modif; Societe::update() also rewrites every other column from the fetched
 *   object, which turns NULLs of rows Dolibarr did not create itself into '' (siren, address ...).
 * - A price change always applies (one price per product); Dolibarr applies it only with PRODUCT_PRICE_UNIQ,
 *   which an install sets when the product module is enabled (the fixture lacks it).
 * - Lines: buy_price_ht 0 (MARGIN_TYPE unset), localtax types '0', no discount, no price column.
 * - The stand-in checks no user rights and knows plain API keys only (not dolcrypt-encrypted ones).
 * - The clock: datec, tms, date_valid and llx_product_price.date_price are "now"; code_client's yymm is today's.
 */
export { DolibarrRefusal, inTransaction, type EffectContext } from './context';
export { addInvoiceLine, createInvoice, validateInvoice, type InvoiceFields, type InvoiceLineFields } from './invoice';
export { changeProductPrice, createProduct, deleteProduct, type ProductFields } from './product';
export { createThirdParty, renameThirdParty, type ThirdPartyFields } from './thirdparty';
export { agentUserId, userIdByApiKey } from './users';
