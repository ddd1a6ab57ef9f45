/*
 * Dolibarr's country ids (llx_c_country.rowid) are fixed by its installer data, the same in every Dolibarr,
 * so both agents turn a country code into the id the API expects without asking the database. Only the
 * countries the production fixture uses are listed; add others from Dolibarr's llx_00_c_country.sql.
 */
const DOLIBARR_COUNTRY_IDS: Readonly<Record<string, number>> = {
  FR: 1,
  BE: 2,
  IT: 3,
  ES: 4,
  DE: 5,
  CH: 6,
  GB: 7,
  IE: 8,
  US: 11,
  NL: 17,
  PT: 25,
  LU: 140,
};

/** Dolibarr's llx_c_country id of an ISO 3166 alpha-2 code, or an error naming the known ones. */
export function dolibarrCountryId(code: string): number {
  const id = DOLIBARR_COUNTRY_IDS[code.trim().toUpperCase()];
  if (id === undefined) {
    throw new Error(
      `countryCode ${JSON.stringify(code)} is not a country the agent knows: expected one of ${Object.keys(DOLIBARR_COUNTRY_IDS).join(', ')}. ` +
        "Add it with its Dolibarr id (htdocs/install/mysql/data/llx_00_c_country.sql) to support/agent/countries.ts.",
    );
  }
  return id;
}
