import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fixtureSql, type FixtureScale } from '../fixtures';
import { agentUserSql, newAgentApiKey } from '../support/agent';
import { baselineCopySql } from '../support/baseline/baseline-copy';
import { DEFAULT_BASELINE_SCHEMA } from '../support/baseline/copy-meta';
import { startLocalCluster, type LocalCluster } from '../support/cluster/local-cluster';
import { provision, type Layout, type ProvisionedRoles } from '../support/cluster/provision';
import { withClient, type PgConnection } from '../support/db/connect';
import { quoteIdent } from '../support/db/ident';
import { newRunToken, trackingSql, type FastResetOptions } from '../support/fastreset';
import { openGolden, type Golden } from '../support/golden/golden';
import { manifestPathFor } from '../support/golden/manifest';
import type { AppScope } from '../support/golden/scope';
import { seedScrubbedGolden } from '../support/golden/scrub';
import { seedGolden } from '../support/golden/seed';
import { requirePgBinaries, type PgBinaries } from '../support/pgtools/binaries';
import { libpqEnv, runTool } from '../support/pgtools/run';
import { LocalPgTools } from '../support/pgtools/tools';
import type { ResetTarget } from '../support/reset/canonical-reset';
import { postResetSql } from '../support/reset/post-reset';

/** Where the bench keeps production's content between runs (git-ignored), one directory per fixture version. */
export const CACHE_DIR = resolve(__dirname, '..', '.cache', 'bench');

/** The canonical reset as the harness would run it, with and without change tracking, and the fast reset's options. */
export interface ResetTargets {
  golden: Golden;
  /** Grants, agent user, baseline copy, then change tracking: the canonical reset with the fast path wired in. */
  tracked: ResetTarget;
  /** The same without change tracking: the canonical reset as it was before. */
  untracked: ResetTarget;
  fast: FastResetOptions;
}

/** A throwaway cluster laid out like production, production holding the fixture. */
export interface BenchEnvironment {
  scale: FixtureScale;
  bin: PgBinaries;
  cluster: LocalCluster;
  roles: ProvisionedRoles;
  layout: Layout;
  scope: AppScope;
  tools: LocalPgTools;
  superuser(database: string): PgConnection;
  runtime: PgConnection;
  prodDump: PgConnection;
  /** How production got its content, and how long it took. */
  built: string;
  agentLogin: string;
  /** The harness's seed: production dumped, scrubbed through the sandbox (which it leaves unreset), dumped again. */
  seed(outFile: string): Promise<Golden>;
  targetsFor(golden: Golden): ResetTargets;
  stop(): Promise<void>;
}

/** The cache key: the fixture's exact SQL and the PostgreSQL version that dumps it. */
export function cacheKey(scale: FixtureScale, bin: PgBinaries): string {
  return `${scale}-pg${bin.version}-${createHash('sha256').update(fixtureSql(scale)).digest('hex').slice(0, 16)}`;
}

/**
 * Starts a cluster and gives production the fixture's content: the first time from the fixture's SQL (a
 * dump of production's application scope then goes into the cache), later from that cached dump
 * (pg_restore as production's owner), checked against its manifest. Older cache entries are removed.
 */
export async function startBenchEnvironment(scale: FixtureScale, log: (line: string) => void): Promise<BenchEnvironment> {
  const bin = requirePgBinaries(undefined, true);
  const tools = new LocalPgTools(bin);
  const cluster = await startLocalCluster(bin, log);
  try {
    const layout: Layout = { prodDatabase: 'erp', prodOwner: 'erp_role', sandboxDatabase: 'erp-sandbox', sandboxOwner: 'erp_sandbox_role' };
    const superuser = (database: string): PgConnection => ({ host: cluster.host, port: cluster.port, database, ...cluster.superuser });
    const roles = await provision(superuser('postgres'), layout);
    const scope: AppScope = { schema: 'public', tablePattern: 'llx\\_%' };
    const prodDump: PgConnection = { host: cluster.host, port: cluster.port, database: layout.prodDatabase, ...roles.dump };
    const runtime: PgConnection = { host: cluster.host, port: cluster.port, database: layout.sandboxDatabase, ...roles.runtime };

    const key = cacheKey(scale, bin);
    const dir = join(CACHE_DIR, key);
    const cached = join(dir, 'production.dump');
    const started = performance.now();
    let built: string;
    if (existsSync(cached) && existsSync(manifestPathFor(cached))) {
      await openGolden(cached, tools, false); // size and checksum against its manifest
      await runTool(bin.path('pg_restore'), ['--no-owner', `--role=${layout.prodOwner}`, '--single-transaction', '--exit-on-error', `--dbname=${layout.prodDatabase}`, cached],
        libpqEnv(superuser(layout.prodDatabase)), 'pg_restore (production from the bench cache)');
      await withClient(superuser(layout.prodDatabase), (c) => c.query('ANALYZE'));
      built = `restored from the cache (${cached}) in ${Math.round(performance.now() - started)} ms`;
    } else {
      await withClient(superuser(layout.prodDatabase), async (c) => {
        await c.query(`BEGIN; SET LOCAL ROLE ${quoteIdent(layout.prodOwner)};`);
        await c.query(fixtureSql(scale));
        await c.query('COMMIT');
        await c.query('ANALYZE');
      });
      built = `built from the ${scale} fixture SQL in ${Math.round(performance.now() - started)} ms, cached as ${cached}`;
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `production.${process.pid}.tmp`);
      await seedGolden(tools, prodDump, scope, tmp);
      // The manifest records the file's name only; its checksum is what is checked.
      renameSync(manifestPathFor(tmp), manifestPathFor(cached));
      renameSync(tmp, cached);
    }
    for (const entry of readdirSync(CACHE_DIR)) {
      if (entry.startsWith(`${scale}-`) && entry !== key) rmSync(join(CACHE_DIR, entry), { recursive: true, force: true });
    }
    log(`${scale} production ${built}`);

    const agentLogin = 'ai_agent_sandbox';
    const agentKey = newAgentApiKey();
    const runToken = newRunToken();
    const identity = { ...layout };
    return {
      scale,
      bin,
      cluster,
      roles,
      layout,
      scope,
      tools,
      superuser,
      runtime,
      prodDump,
      built,
      agentLogin,
      seed: (outFile) => seedScrubbedGolden({ tools, prod: prodDump, runtime, identity, scope, outFile, lockTimeoutMs: 10_000 }),
      targetsFor(golden) {
        const copy = { appSchema: scope.schema, tablePattern: scope.tablePattern, copySchema: DEFAULT_BASELINE_SCHEMA, goldenSha256: golden.manifest!.golden.sha256 };
        const untracked = [
          postResetSql({ appSchema: scope.schema, appRole: roles.appRole }),
          agentUserSql({ appSchema: scope.schema, login: agentLogin, apiKey: agentKey }),
          baselineCopySql(copy),
        ];
        const base = { tools, runtime, identity, golden, lockTimeoutMs: 10_000 };
        return {
          golden,
          tracked: { ...base, postReset: [...untracked, trackingSql({ ...copy, runToken })].join('\n') },
          untracked: { ...base, postReset: untracked.join('\n') },
          fast: { ...copy, runToken, sandboxOwner: layout.sandboxOwner, lockTimeoutMs: 10_000 },
        };
      },
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
