import { fixtureSql } from '../../fixtures';
import type { HarnessConfig } from '../config';
import { provision, type ProvisionedRoles } from '../cluster/provision';
import { withClient, type PgConnection } from '../db/connect';
import { quoteIdent } from '../db/ident';
import type { StartedBackend } from './backend';

/**
 * On a server the harness started itself (local cluster or container), lays it out like production and
 * loads the production fixture. Returns the connections a backend hands out.
 */
export async function prepareProductionShapedServer(
  config: HarnessConfig,
  superuser: { host: string; port: number; user: string; password: string },
): Promise<Pick<StartedBackend, 'runtime' | 'prodDump' | 'prodApp' | 'superuser' | 'appRole' | 'serverId'> & { roles: ProvisionedRoles }> {
  const layout = { prodDatabase: config.prodDatabase, prodOwner: config.prodOwner, sandboxDatabase: config.sandboxDatabase, sandboxOwner: config.sandboxOwner };
  const roles = await provision({ ...superuser, database: 'postgres' }, layout);
  await loadProductionFixture({ ...superuser, database: config.prodDatabase }, config.prodOwner, config.fixtureScale);
  const server = { host: superuser.host, port: superuser.port };
  // The identity of the cluster we started, which every later connection must prove again.
  const serverId = await withClient({ ...superuser, database: 'postgres' }, async (client) =>
    (await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0].id);
  return {
    roles,
    serverId,
    runtime: { ...server, database: config.sandboxDatabase, ...roles.runtime },
    prodDump: { ...server, database: config.prodDatabase, ...roles.dump },
    prodApp: { ...server, database: config.prodDatabase, ...roles.prodApp },
    superuser,
    appRole: config.appRole === undefined ? roles.appRole : config.appRole,
  };
}

/** Production's content: the fixture, created as the production owner so that it owns every object. */
async function loadProductionFixture(superuser: PgConnection, prodOwner: string, scale: HarnessConfig['fixtureScale']): Promise<void> {
  await withClient(superuser, async (client) => {
    await client.query(`BEGIN; SET LOCAL ROLE ${quoteIdent(prodOwner)};`);
    await client.query(fixtureSql(scale));
    await client.query('COMMIT');
    await client.query('ANALYZE');
  });
}
