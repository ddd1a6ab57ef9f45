import type { ClientBase } from 'pg';
import { qualified } from '../../db/ident';

/**
 * The user an API key belongs to, as Dolibarr's api_access.class.php accepts it: a stored key equal to the one
 * sent (plain keys only), an active user (statut 1) of entity 0 or 1, inside its validity dates. Null otherwise.
 */
export async function userIdByApiKey(client: ClientBase, schema: string, apiKey: string): Promise<number | null> {
  if (apiKey === '') return null;
  const { rows } = await client.query<{ rowid: number }>(
    `SELECT rowid FROM ${qualified(schema, 'llx_user')}
      WHERE api_key = $1 AND statut = 1 AND entity IN (0, 1)
        AND (datestartvalidity IS NULL OR datestartvalidity <= LOCALTIMESTAMP)
        AND (dateendvalidity IS NULL OR dateendvalidity >= LOCALTIMESTAMP)`,
    [apiKey],
  );
  return rows.length === 1 ? rows[0].rowid : null;
}

/** The active Dolibarr user with this login in entity 1, or an error saying how to provision it. */
export async function agentUserId(client: ClientBase, schema: string, login: string): Promise<number> {
  const { rows } = await client.query<{ rowid: number; statut: number | null }>(
    `SELECT rowid, statut FROM ${qualified(schema, 'llx_user')} WHERE login = $1 AND entity = 1`,
    [login],
  );
  if (rows.length === 0) {
    throw new Error(
      `Expected the agent's Dolibarr user "${login}" in ${schema}.llx_user, found none. ` +
        'It is provisioned by the post-reset step agentUserSql(): reset the sandbox with it, or check BDD_AGENT_LOGIN.',
    );
  }
  if (rows[0].statut !== 1) {
    throw new Error(`Expected the agent's Dolibarr user "${login}" to be active (statut 1), found statut ${rows[0].statut}. Reset the sandbox to re-provision it.`);
  }
  return rows[0].rowid;
}
