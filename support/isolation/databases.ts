import type { Client, ClientBase } from 'pg';
import { connect, type PgConnection } from '../db/connect';
import { quoteIdent } from '../db/ident';
import { tryStatement, type Attempt } from './attempt';

/** The database a role can connect to on any stock server, from which other databases are dropped or created. */
const MAINTENANCE_DATABASE = 'postgres';

/** Why a login may find the maintenance database closed: no CONNECT, no such database, or pg_hba.conf. */
const REFUSED = new Set(['42501', '3D000', '28000']);

/** The owner of a database, or undefined when the server has no database of that name (pg_database is shared). */
export async function databaseOwner(client: ClientBase, name: string): Promise<string | undefined> {
  const { rows: [row] } = await client.query<{ owner: string }>(
    'SELECT pg_catalog.pg_get_userbyid(datdba) AS owner FROM pg_catalog.pg_database WHERE datname = $1', [name]);
  return row?.owner;
}

/**
 * Runs `work` as `login` connected to a database other than `avoid`: the maintenance database when the login
 * may connect to it, else the login's own database (a live server may close the maintenance database to it).
 * A database cannot be dropped from inside itself, so this is where DROP and CREATE DATABASE are issued from.
 */
export async function withClientOutside<T>(login: PgConnection, avoid: string, connectTimeoutMs: number, work: (client: Client, database: string) => Promise<T>): Promise<T> {
  const candidates = [MAINTENANCE_DATABASE, login.database].filter((d) => d !== avoid);
  if (!candidates.length) throw new Error(`No database to work from other than "${avoid}", the login's own database.`);
  let client: Client | undefined;
  let database = candidates[0];
  for (database of candidates) {
    try {
      client = await connect({ ...login, database }, connectTimeoutMs);
      break;
    } catch (error) {
      // Refused or absent: try the next one. The last one's error is the answer.
      if (database === candidates[candidates.length - 1] || !REFUSED.has(String((error as { code?: string }).code))) throw error;
    }
  }
  try {
    return await work(client!, database);
  } finally {
    await client!.end().catch(() => undefined);
  }
}

/**
 * Refuses to go on when the connected login could act as the owner of `name` (superuser, or a member of its
 * owner): a DROP DATABASE issued to prove that it is refused would then destroy it.
 */
export async function assertCannotActAsOwner(client: ClientBase, name: string): Promise<void> {
  const { rows: [row] } = await client.query<{ owner: string; acts_as_owner: boolean; superuser: boolean }>(
    `SELECT pg_catalog.pg_get_userbyid(d.datdba) AS owner, pg_catalog.pg_has_role(session_user, d.datdba, 'USAGE') AS acts_as_owner,
            (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user) AS superuser
       FROM pg_catalog.pg_database d WHERE d.datname = $1`, [name]);
  if (!row) throw new Error(`There is no database "${name}" on this server: expected it beside the sandbox. Check BDD_PROD_DB.`);
  if (row.superuser || row.acts_as_owner) {
    throw new Error(
      `Not trying to drop "${name}": this login ${row.superuser ? 'is a superuser' : `holds the privileges of its owner "${row.owner}"`}, ` +
        'so the drop would succeed. That is the isolation failure this scenario looks for: take the login out of that role (or its superuser attribute) first.',
    );
  }
}

/** DROP DATABASE, issued from another database. */
export function tryDropDatabase(client: ClientBase, name: string): Promise<Attempt> {
  return tryStatement(client, `DROP DATABASE ${quoteIdent(name)}`);
}

/** CREATE DATABASE, owned by the connected login (the default). */
export function tryCreateDatabase(client: ClientBase, name: string): Promise<Attempt> {
  return tryStatement(client, `CREATE DATABASE ${quoteIdent(name)}`);
}
