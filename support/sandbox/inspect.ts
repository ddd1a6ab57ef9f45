import type { ClientBase } from 'pg';

export interface PoolerLookupFacts {
  exists: boolean;
  owner?: string;
  ownerIsSuperuser?: boolean;
  securityDefiner?: boolean;
  /** Object id and definition: equal before and after means untouched, not recreated. */
  identity?: string;
}

/** The operator's pooler.user_lookup function as the connected role sees it. */
export async function poolerLookup(client: ClientBase): Promise<PoolerLookupFacts> {
  const { rows: [row] } = await client.query<{ owner: string; super: boolean; secdef: boolean; identity: string }>(
    `SELECT r.rolname AS owner, r.rolsuper AS super, p.prosecdef AS secdef, p.oid::text || ':' || md5(p.prosrc) AS identity
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace JOIN pg_catalog.pg_roles r ON r.oid = p.proowner
      WHERE n.nspname = 'pooler' AND p.proname = 'user_lookup'`,
  );
  return row ? { exists: true, owner: row.owner, ownerIsSuperuser: row.super, securityDefiner: row.secdef, identity: row.identity } : { exists: false };
}

export interface LoginFacts {
  login: string;
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  /** Roles it is a direct member of. */
  memberOf: string[];
  /** Objects in this database it owns itself (tables, functions, schemas, types). */
  ownedObjects: number;
}

/** The real attributes of the connected login, from the catalog (not from what configuration claims). */
export async function loginFacts(client: ClientBase): Promise<LoginFacts> {
  const { rows: [row] } = await client.query<{ login: string; super: boolean; createdb: boolean; createrole: boolean; member_of: string[]; owned: string }>(
    `SELECT r.rolname AS login, r.rolsuper AS super, r.rolcreatedb AS createdb, r.rolcreaterole AS createrole,
            array(SELECT g.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1)::text[] AS member_of,
            (SELECT count(*) FROM pg_catalog.pg_class WHERE relowner = r.oid)
              + (SELECT count(*) FROM pg_catalog.pg_proc WHERE proowner = r.oid)
              + (SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspowner = r.oid)
              + (SELECT count(*) FROM pg_catalog.pg_type WHERE typowner = r.oid AND typrelid = 0) AS owned
       FROM pg_catalog.pg_roles r WHERE r.rolname = session_user`,
  );
  return { login: row.login, superuser: row.super, createdb: row.createdb, createrole: row.createrole, memberOf: row.member_of, ownedObjects: Number(row.owned) };
}
