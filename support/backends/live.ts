import type { HarnessConfig } from '../config';
import { withClient } from '../db/connect';
import type { PgBinaries } from '../pgtools/binaries';
import { LocalPgTools } from '../pgtools/tools';
import type { StartedBackend } from './backend';

/**
 * An existing sandbox, given only its runtime credentials: nothing is provisioned, production is not
 * reachable, and scenarios that need either are skipped with the reason.
 */
export async function startLiveBackend(config: HarnessConfig, bin: PgBinaries): Promise<StartedBackend> {
  const live = config.live!;
  const runtime = { host: live.host, port: live.port, database: config.sandboxDatabase, user: live.user, password: live.password };
  // Fail fast, before any scenario, on an unreachable server or wrong credentials.
  await withClient(runtime, async (client) => client.query('SELECT 1'), config.connectTimeoutMs);
  return {
    name: 'live',
    description: `live sandbox ${live.user}@${live.host}:${live.port}/${config.sandboxDatabase}`,
    tools: new LocalPgTools(bin, config.connectTimeoutMs),
    runtime,
    serverId: live.serverId,
    appRole: config.appRole ?? null,
    stop: async () => undefined,
  };
}
