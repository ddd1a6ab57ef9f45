import type { ClientBase } from 'pg';

/** What the target must be for the harness to touch it. */
export interface SandboxIdentity {
  sandboxDatabase: string;
  sandboxOwner: string;
  prodOwner: string;
  /** The server's system identifier (pg_control_system), when known: proves which cluster this is. */
  serverId?: string;
}

export class NotTheSandboxError extends Error {
  constructor(readonly mismatches: string[]) {
    super(
      `Refusing to touch this database: it is not provably the sandbox.\n${mismatches.map((m) => `  - ${m}`).join('\n')}\n` +
        'Point the harness at the sandbox database with its runtime credentials (a login that is only a member of the sandbox owner role).',
    );
    this.name = 'NotTheSandboxError';
  }
}

/**
 * Proves, before the first statement that changes anything, that the connection is the sandbox:
 * the server's identity, the database name and owner, and a login with no superuser, CREATEDB or CREATEROLE that is a member
 * of the sandbox owner and not of the production owner.
 */
export async function assertIsSandbox(client: ClientBase, expected: SandboxIdentity): Promise<void> {
  const { rows: [found] } = await client.query<{
    database: string; owner: string; login: string; superuser: boolean; createdb: boolean; createrole: boolean;
    member_of_owner: boolean; member_of_prod: boolean; server_id: string;
  }>(
    `SELECT (SELECT system_identifier::text FROM pg_control_system()) AS server_id, current_database() AS database, pg_get_userbyid(d.datdba) AS owner, r.rolname AS login,
            r.rolsuper AS superuser, r.rolcreatedb AS createdb, r.rolcreaterole AS createrole,
            pg_has_role(r.oid, (SELECT oid FROM pg_roles WHERE rolname = $1), 'USAGE') IS TRUE AS member_of_owner,
            coalesce(pg_has_role(r.oid, (SELECT oid FROM pg_roles WHERE rolname = $2), 'MEMBER'), false) AS member_of_prod
       FROM pg_database d, pg_roles r
      WHERE d.datname = current_database() AND r.rolname = session_user`,
    [expected.sandboxOwner, expected.prodOwner],
  );
  const mismatches: string[] = [];
  if (expected.serverId && found.server_id !== expected.serverId) mismatches.push(`server system identifier is ${found.server_id}, expected ${expected.serverId} (BDD_SERVER_ID): this is another PostgreSQL cluster`);
  if (found.database !== expected.sandboxDatabase) mismatches.push(`database is "${found.database}", expected "${expected.sandboxDatabase}"`);
  if (found.owner !== expected.sandboxOwner) mismatches.push(`database owner is "${found.owner}", expected "${expected.sandboxOwner}"`);
  if (found.superuser) mismatches.push(`login "${found.login}" is a superuser; the harness runs only with membership-only runtime credentials`);
  if (found.createdb) mismatches.push(`login "${found.login}" has CREATEDB; runtime credentials must not`);
  if (found.createrole) mismatches.push(`login "${found.login}" has CREATEROLE; runtime credentials must not`);
  if (!found.member_of_owner) mismatches.push(`login "${found.login}" is not a member of "${expected.sandboxOwner}" with its privileges`);
  if (found.member_of_prod) mismatches.push(`login "${found.login}" is a member of the production owner "${expected.prodOwner}"`);
  if (mismatches.length) throw new NotTheSandboxError(mismatches);
}
