import type { HarnessConfig } from '../config';
import { startLocalCluster } from '../cluster/local-cluster';
import type { PgBinaries } from '../pgtools/binaries';
import { LocalPgTools } from '../pgtools/tools';
import type { StartedBackend } from './backend';
import { prepareProductionShapedServer } from './production-shaped';
import { fileServerLog } from './server-log';

/**
 * A throwaway cluster from the machine's PostgreSQL binaries, laid out like production by the provisioner
 * and loaded with the production fixture; removed at exit.
 */
export async function startLocalBackend(config: HarnessConfig, bin: PgBinaries, log: (line: string) => void): Promise<StartedBackend> {
  const cluster = await startLocalCluster(bin, log);
  try {
    const { roles: _roles, ...connections } = await prepareProductionShapedServer(config, { host: cluster.host, port: cluster.port, ...cluster.superuser });
    return {
      name: 'local',
      description: `throwaway PostgreSQL ${bin.version} cluster at ${cluster.host}:${cluster.port} (${cluster.dir})`,
      tools: new LocalPgTools(bin, config.connectTimeoutMs),
      ...connections,
      serverLog: fileServerLog(cluster.logFile),
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
