import { fixtureSql } from '../../fixtures';
import { withClient } from '../db/connect';
import { quoteIdent } from '../db/ident';
import type { HarnessConfig } from '../config';
import { startLocalCluster } from '../cluster/local-cluster';
import { provision } from '../cluster/provision';
import type { PgBinaries } from '../pgtools/binaries';
import { LocalPgTools } from '../pgtools/tools';
import type { StartedBackend } from './backend';
import { fileServerLog } from './server-log';

/**
 * A throwaway cluster from the machine's PostgreSQL binaries, laid out like production by the provisioner
 * and loaded with the production fixture; removed at exit.
 */
export async function startLocalBackend(config: HarnessConfig, bin: PgBinaries, log: (line: string) => void): Promise<StartedBackend> {
  const cluster = await startLocalCluster(bin, log);
  try {
    const server = { host: cluster.host, port: cluster.port };
    const superuser = { ...server, ...cluster.superuser };
    const layout = { prodDatabase: config.prodDatabase, prodOwner: config.prodOwner, sandboxDatabase: config.sandboxDatabase, sandboxOwner: config.sandboxOwner };
    const roles = await provision({ ...superuser, database: 'postgres' }, layout);
    await loadProductionFixture({ ...superuser, database: config.prodDatabase }, config.prodOwner, config.fixtureScale);
    return {
      name: 'local',
      description: `throwaway PostgreSQL ${bin.version} cluster at ${cluster.host}:${cluster.port} (${cluster.dir})`,
      tools: new LocalPgTools(bin),
      runtime: { ...server, database: config.sandboxDatabase, ...roles.runtime },
      prodDump: { ...server, database: config.prodDatabase, ...roles.dump },
      prodApp: { ...server, database: config.prodDatabase, ...roles.prodApp },
      superuser,
      appRole: config.appRole === undefined ? roles.appRole : config.appRole,
      serverLog: fileServerLog(cluster.logFile),
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Production's content: the fixture, created as the production owner so that it owns every object. */
async function loadProductionFixture(superuser: Parameters<typeof withClient>[0], prodOwner: string, scale: HarnessConfig['fixtureScale']): Promise<void> {
  await withClient(superuser, async (client) => {
    await client.query(`BEGIN; SET LOCAL ROLE ${quoteIdent(prodOwner)};`);
    await client.query(fixtureSql(scale));
    await client.query('COMMIT');
    await client.query('ANALYZE');
  });
}
