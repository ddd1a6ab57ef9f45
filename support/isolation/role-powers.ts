import type { ClientBase } from 'pg';

/** What the connected login may do on the whole server, read from the catalog (not from what configuration claims). */
export interface RolePowers {
  login: string;
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  replication: boolean;
  /**
   * Every role granted to it, directly or through other roles. Read from the grants, not with pg_has_role:
   * that also answers true for pg_database_owner in a database owned by one of its roles.
   */
  memberOf: string[];
  /** Databases whose owner it is itself. */
  ownsDatabases: string[];
  /** Databases it can act as the owner of (DROP, ALTER): owned by itself or by a role whose privileges it holds. */
  actsAsOwnerOf: string[];
}

export async function rolePowers(client: ClientBase): Promise<RolePowers> {
  const { rows: [row] } = await client.query<{
    login: string; superuser: boolean; createdb: boolean; createrole: boolean; replication: boolean;
    member_of: string[]; owns: string[]; acts_as_owner_of: string[];
  }>(
    `SELECT r.rolname AS login, r.rolsuper AS superuser, r.rolcreatedb AS createdb, r.rolcreaterole AS createrole,
            r.rolreplication AS replication,
            array(WITH RECURSIVE held(oid) AS (
                    SELECT m.roleid FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid
                    UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN held h ON m.member = h.oid)
                  SELECT g.rolname FROM held JOIN pg_catalog.pg_roles g ON g.oid = held.oid ORDER BY 1)::text[] AS member_of,
            array(SELECT d.datname FROM pg_catalog.pg_database d WHERE d.datdba = r.oid ORDER BY 1)::text[] AS owns,
            array(SELECT d.datname FROM pg_catalog.pg_database d WHERE pg_catalog.pg_has_role(r.oid, d.datdba, 'USAGE') ORDER BY 1)::text[] AS acts_as_owner_of
       FROM pg_catalog.pg_roles r WHERE r.rolname = session_user`,
  );
  return {
    login: row.login,
    superuser: row.superuser,
    createdb: row.createdb,
    createrole: row.createrole,
    replication: row.replication,
    memberOf: row.member_of,
    ownsDatabases: row.owns,
    actsAsOwnerOf: row.acts_as_owner_of,
  };
}
