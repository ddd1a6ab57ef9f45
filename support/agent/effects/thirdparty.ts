import { constIsOn, DolibarrRefusal, insertSql, table, type EffectContext } from './context';
import { nextCustomerCode } from './numbering';

/** What POST /thirdparties carries, in Societe's terms. */
export interface ThirdPartyFields {
  name: string;
  /** 0 none, 1 customer, 2 prospect, 3 both. */
  client: number;
  /** 0 or 1. */
  fournisseur: number;
  /** "auto" (or -1) asks the numbering module for one; null leaves it empty, as Dolibarr does when none is sent. */
  codeClient: string | null;
  email: string | null;
  town: string | null;
  /** llx_c_country.rowid. */
  countryId: number | null;
}

// Societe::setUpperOrLowerCase() with MAIN_FIRST_TO_UPPER: the first letter of the name is capitalised.
async function casedName(ctx: EffectContext, name: string): Promise<string> {
  const trimmed = name.trim();
  if (!(await constIsOn(ctx, 'MAIN_FIRST_TO_UPPER'))) return trimmed;
  return trimmed.charAt(0).toLocaleUpperCase() + trimmed.slice(1);
}

const emptyToNull = (value: string | null): string | null => (value === null || value.trim() === '' ? null : value.trim());

/**
 * Societe::create() followed by its update(..., 'add'), as one INSERT holding the row both leave behind:
 * Dolibarr inserts a few columns, then rewrites the rest from the object, turning unset text into '' or null
 * column by column. Only the columns of a customer created through the API are listed; others keep defaults.
 */
export async function createThirdParty(ctx: EffectContext, fields: ThirdPartyFields): Promise<number> {
  const name = await casedName(ctx, fields.name);
  if (name === '') throw new DolibarrRefusal(500, 'Error creating thirdparty', 'ErrorBadThirdPartyName: the name is empty');
  const wantsCode = fields.codeClient === 'auto' || fields.codeClient === '-1';
  const codeClient = fields.client > 0 && wantsCode ? await nextCustomerCode(ctx) : emptyToNull(fields.codeClient)?.toUpperCase() ?? null;
  const params = [name, ctx.userId, fields.client, fields.fournisseur, codeClient, emptyToNull(fields.email), emptyToNull(fields.town), fields.countryId];
  const sql = insertSql(
    table(ctx, 'llx_societe'),
    [
      ['nom', '$1'],
      ['name_alias', "''"],
      ['entity', '1'],
      ['datec', "date_trunc('second', LOCALTIMESTAMP)"],
      ['fk_user_creat', '$2'],
      ['fk_user_modif', '$2'],
      ['status', '1'],
      ['client', '$3'],
      ['fournisseur', '$4'],
      ['code_client', '$5'],
      ['email', '$6'],
      ['town', '$7'],
      ['fk_pays', 'CASE WHEN $8::integer > 0 THEN $8::integer END'],
      ['address', "''"],
      ['siren', "''"],
      ['siret', "''"],
      ['ape', "''"],
      ['idprof4', "''"],
      ['idprof5', "''"],
      ['idprof6', "''"],
      ['tva_assuj', '1'],
      ['tva_intra', "''"],
      ['localtax1_value', '0'],
      ['localtax2_value', '0'],
      ['fk_typent', '0'],
      ['fk_stcomm', '0'],
      ['fk_incoterms', '0'],
      ['fk_multicurrency', '0'],
      ['multicurrency_code', "''"],
      ['socialnetworks', "'[]'"],
      ['fk_prospectlevel', "''"],
      ['accountancy_code_buy', "''"],
      ['accountancy_code_sell', "''"],
      ['model_pdf', "''"],
    ],
    'rowid',
  );
  try {
    const { rows: [row] } = await ctx.client.query<{ rowid: number }>(sql, params);
    return row.rowid;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new DolibarrRefusal(500, 'Error creating thirdparty', `ErrorCustomerCodeAlreadyUsed or another unique value is taken: ${(error as Error).message}`);
    }
    throw error;
  }
}

/** PUT /thirdparties/{id} with a new name: Societe::update() as the user. */
export async function renameThirdParty(ctx: EffectContext, id: number, newName: string): Promise<void> {
  const name = await casedName(ctx, newName);
  if (name === '') throw new DolibarrRefusal(500, 'Error updating thirdparty', 'ErrorBadThirdPartyName: the name is empty');
  const { rowCount } = await ctx.client.query(`UPDATE ${table(ctx, 'llx_societe')} SET nom = $2, fk_user_modif = $3 WHERE rowid = $1 AND entity = 1`, [id, name, ctx.userId]);
  if (!rowCount) throw new DolibarrRefusal(404, 'Thirdparty not found', `no third party ${id} in entity 1; ids from before the last reset are gone`);
}
