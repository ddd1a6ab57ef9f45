import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { withClient, type PgConnection } from '../db/connect';
import { quoteIdent, quoteLiteral } from '../db/ident';
import { registerSecret } from '../db/redact';

/** Names of the production layout the operator creates (zalando/postgres-operator, docs/user.md). */
export interface Layout {
  prodDatabase: string;
  prodOwner: string;
  sandboxDatabase: string;
  sandboxOwner: string;
}

export interface Credentials {
  user: string;
  password: string;
}

/** Logins the provisioner creates; the harness uses the least of them that can do each job. */
export interface ProvisionedRoles {
  /** LOGIN, only a member of the sandbox owner: resets and scenarios run as this. */
  runtime: Credentials;
  /** LOGIN, read-only on production: takes the golden. */
  dump: Credentials;
  /** LOGIN, member of the production owner: plays the production application (fixture-side checks only). */
  prodApp: Credentials;
  /** NOLOGIN role the sandbox Dolibarr application reads and writes through (post-reset grants). */
  appRole: string;
  /** The connection pooler's login, for which pooler.user_lookup exists. */
  pooler: string;
}

const newPassword = () => {
  const password = randomBytes(18).toString('base64url');
  registerSecret(password);
  return password;
};

/** The operator's pooler lookup function, as pkg/cluster/database.go creates it in every database. */
export function poolerLookupSql(poolerUser: string): string {
  const user = quoteIdent(poolerUser);
  return `
CREATE SCHEMA IF NOT EXISTS pooler;
CREATE OR REPLACE FUNCTION pooler.user_lookup(in i_username text, out uname text, out phash text)
RETURNS record AS $$
BEGIN
  SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = i_username INTO uname, phash;
  RETURN;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;
REVOKE ALL ON FUNCTION pooler.user_lookup(text) FROM public, ${user};
GRANT EXECUTE ON FUNCTION pooler.user_lookup(text) TO ${user};
GRANT USAGE ON SCHEMA pooler TO ${user};`;
}

/**
 * Lays out, as the superuser, what the operator lays out in production: the two databases and their
 * owner roles, membership-only logins, a read-only dump role, the pooler function in both databases,
 * and CONNECT on production revoked from PUBLIC (the hardening the isolation scenarios rely on).
 */
export async function provision(superuser: PgConnection, layout: Layout): Promise<ProvisionedRoles> {
  const roles: ProvisionedRoles = {
    runtime: { user: `${layout.sandboxDatabase.replace(/-/g, '_')}_user`, password: newPassword() },
    dump: { user: `${layout.prodDatabase}_dump`, password: newPassword() },
    prodApp: { user: `${layout.prodDatabase}_user`, password: newPassword() },
    appRole: `${layout.sandboxDatabase.replace(/-/g, '_')}_writer`,
    pooler: 'pooler',
  };
  const q = quoteIdent;
  const pw = (c: Credentials) => quoteLiteral(c.password);
  await withClient({ ...superuser, database: 'postgres' }, async (client) => {
    await client.query(`
      SET password_encryption = 'scram-sha-256';
      CREATE ROLE ${q(layout.prodOwner)} NOLOGIN;
      CREATE ROLE ${q(layout.sandboxOwner)} NOLOGIN;
      CREATE ROLE ${q(roles.prodApp.user)} LOGIN PASSWORD ${pw(roles.prodApp)} IN ROLE ${q(layout.prodOwner)};
      CREATE ROLE ${q(roles.runtime.user)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT PASSWORD ${pw(roles.runtime)} IN ROLE ${q(layout.sandboxOwner)};
      CREATE ROLE ${q(roles.dump.user)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${pw(roles.dump)} IN ROLE pg_read_all_data;
      CREATE ROLE ${q(roles.appRole)} NOLOGIN;
      CREATE ROLE ${q(roles.pooler)} LOGIN PASSWORD ${quoteLiteral(newPassword())};
    `);
    await client.query(`CREATE DATABASE ${q(layout.prodDatabase)} OWNER ${q(layout.prodOwner)}`);
    await client.query(`CREATE DATABASE ${q(layout.sandboxDatabase)} OWNER ${q(layout.sandboxOwner)}`);
    await client.query(`
      REVOKE CONNECT, TEMPORARY ON DATABASE ${q(layout.prodDatabase)} FROM PUBLIC;
      GRANT CONNECT ON DATABASE ${q(layout.prodDatabase)} TO ${q(layout.prodOwner)}, ${q(roles.dump.user)};
    `);
  });
  for (const database of [layout.prodDatabase, layout.sandboxDatabase]) {
    await withClient({ ...superuser, database }, (client: Client) => client.query(poolerLookupSql(roles.pooler)));
  }
  return roles;
}
