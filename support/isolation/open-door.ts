import { withClient, type PgConnection } from '../db/connect';
import { quoteIdent } from '../db/ident';

const aclOf = async (provisioner: PgConnection, database: string, connectTimeoutMs: number) =>
  withClient({ ...provisioner, database: 'postgres' }, async (client) => {
    const { rows: [row] } = await client.query<{ acl: string | null }>('SELECT datacl::text AS acl FROM pg_catalog.pg_database WHERE datname = $1', [database]);
    if (!row) throw new Error(`There is no database "${database}" on this server.`);
    return row.acl;
  }, connectTimeoutMs);

/**
 * Grants, as the provisioner, CONNECT on `database` to `login` alone: the hardening mistake a scenario proves
 * harmless. Returns the undo, which revokes it and checks that the database's privileges are as they were.
 * When the login may already connect, grants nothing and the undo does nothing.
 */
export async function openDoorFor(provisioner: PgConnection, database: string, login: string, connectTimeoutMs: number): Promise<() => Promise<void>> {
  const alreadyOpen = await withClient({ ...provisioner, database: 'postgres' },
    async (client) => (await client.query<{ open: boolean }>(`SELECT pg_catalog.has_database_privilege($1, $2, 'CONNECT') AS open`, [login, database])).rows[0].open,
    connectTimeoutMs);
  // Never revoke a grant this scenario did not make.
  if (alreadyOpen) return async () => undefined;
  const before = await aclOf(provisioner, database, connectTimeoutMs);
  const grant = (verb: 'GRANT' | 'REVOKE') =>
    withClient({ ...provisioner, database: 'postgres' },
      (client) => client.query(`${verb} CONNECT ON DATABASE ${quoteIdent(database)} ${verb === 'GRANT' ? 'TO' : 'FROM'} ${quoteIdent(login)}`), connectTimeoutMs);
  await grant('GRANT');
  return async () => {
    await grant('REVOKE');
    const after = await aclOf(provisioner, database, connectTimeoutMs);
    if (after !== before) throw new Error(`The privileges on "${database}" were ${before ?? 'the defaults'} before the scenario and are ${after ?? 'the defaults'} after it: restore them by hand.`);
  };
}
