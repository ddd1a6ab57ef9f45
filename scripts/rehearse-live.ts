/*
 * Plays the real sandbox so that CI exercises the live profile: a throwaway cluster laid out the way the
 * operator lays out production, a golden taken by the read-only role and scrubbed as the production seed job does,
 * then `npm run bdd:live` given only what a nightly run is given: the runtime login, the server's
 * identity, the golden's path and the sandbox Dolibarr (here the loopback stand-in).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareProductionShapedServer } from '../support/backends/production-shaped';
import { startLocalCluster } from '../support/cluster/local-cluster';
import { loadConfig } from '../support/config';
import { seedScrubbedGolden } from '../support/golden/scrub';
import { requirePgBinaries } from '../support/pgtools/binaries';
import { LocalPgTools } from '../support/pgtools/tools';

const log = (line: string) => process.stderr.write(`[rehearse-live] ${line}\n`);

async function main(): Promise<number> {
  const config = loadConfig({});
  const bin = requirePgBinaries(undefined, true);
  const cluster = await startLocalCluster(bin, log);
  const dir = mkdtempSync(join(tmpdir(), 'rehearse-live-'));
  try {
    const server = await prepareProductionShapedServer(config, { host: cluster.host, port: cluster.port, ...cluster.superuser });
    // As the production seed job does: dumped by the read-only role, scrubbed of production's secrets in the sandbox.
    const golden = await seedScrubbedGolden({
      tools: new LocalPgTools(bin), prod: server.prodDump!, runtime: server.runtime,
      identity: { sandboxDatabase: config.sandboxDatabase, sandboxOwner: config.sandboxOwner, prodOwner: config.prodOwner, serverId: server.serverId },
      scope: { schema: config.appSchema, tablePattern: config.appTablePattern },
      outFile: join(dir, 'erp.golden.dump'), lockTimeoutMs: config.lockTimeoutMs,
    });
    log(`a production-shaped cluster plays the live sandbox at ${cluster.host}:${cluster.port}; golden ${golden.path}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BDD_PGHOST: server.runtime.host,
      BDD_PGPORT: String(server.runtime.port),
      BDD_PGUSER: server.runtime.user,
      BDD_PGPASSWORD: server.runtime.password,
      BDD_SERVER_ID: server.serverId,
      BDD_GOLDEN: golden.path,
      BDD_DOLIBARR_URL: process.env.BDD_DOLIBARR_URL ?? 'stand-in',
      BDD_REPORTS_DIR: process.env.BDD_REPORTS_DIR ?? 'reports/live',
    };
    delete env.BDD_BACKEND; // the live profile chooses the backend
    const child = spawn('npm', ['run', 'bdd:live'], { env, stdio: 'inherit' });
    return await new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    log(`failed: ${error.message}`);
    process.exit(1);
  },
);
