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
import { manifestPathFor, writeManifest } from '../support/golden/manifest';
import type { AppScope } from '../support/golden/scope';
import { seedGolden } from '../support/golden/seed';
import { requirePgBinaries, type PgBinaries } from '../support/pgtools/binaries';
import { libpqEnv, runTool } from '../support/pgtools/run';
import { LocalPgTools } from '../support/pgtools/tools';
import { postResetSql } from '../support/reset/post-reset';
import type { ResetTarget } from '../support/reset/canonical-reset';

/** Where goldens built by the bench are kept between runs (git-ignored). */
export const CACHE_DIR = resolve(__dirname, '..', '.cache', 'bench');

/** A throwaway cluster laid out like production, loaded with a fixture, with its golden and reset targets. */
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
  golden: Golden;
  /** How production got its content: built from the fixture SQL (and the golden cached), or restored from the cached golden. */
  built: 'from the fixture SQL' | 'from the cached golden';
  /** The canonical reset as the harness runs it: grants, agent user, baseline copy, then change tracking. */
  target: ResetTarget;
  /** The same without change tracking: the reset before this work. */
  untrackedTarget: ResetTarget;
  fastOptions: FastResetOptions;
  agentLogin: string;
  stop(): Promise<void>;
}

/** The cache key: the fixture's exact SQL and the PostgreSQL version that dumps it. */
export function cacheKey(scale: FixtureScale, bin: PgBinaries): string {
  return `${scale}-pg${bin.version}-${createHash('sha256').update(fixtureSql(scale)).digest('hex').slice(0, 16)}`;
}

/**
 * Starts a cluster and gives production the fixture's content: the first time from the fixture's SQL,
 * seeding the golden into the cache; later from the cached golden (pg_restore as production's owner),
 * which holds exactly the fixture's application scope. The golden is checked against its manifest.
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

    const dir = join(CACHE_DIR, cacheKey(scale, bin));
    const goldenPath = join(dir, 'erp.golden.dump');
    let built: BenchEnvironment['built'];
    if (existsSync(goldenPath) && existsSync(manifestPathFor(goldenPath))) {
      const started = performance.now();
      await runTool(bin.path('pg_restore'), ['--no-owner', `--role=${layout.prodOwner}`, '--single-transaction', '--exit-on-error', `--dbname=${layout.prodDatabase}`, goldenPath],
        libpqEnv(superuser(layout.prodDatabase)), 'pg_restore (production from the cached golden)');
      await withClient(superuser(layout.prodDatabase), (c) => c.query('ANALYZE'));
      log(`production restored from the cached golden ${goldenPath} in ${Math.round(performance.now() - started)} ms`);
      built = 'from the cached golden';
    } else {
      const started = performance.now();
      await withClient(superuser(layout.prodDatabase), async (c) => {
        await c.query(`BEGIN; SET LOCAL ROLE ${quoteIdent(layout.prodOwner)};`);
        await c.query(fixtureSql(scale));
        await c.query('COMMIT');
        await c.query('ANALYZE');
      });
      log(`production built from the ${scale} fixture SQL in ${Math.round(performance.now() - started)} ms; seeding the golden into ${dir}`);
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `erp.golden.dump.${process.pid}.tmp`);
      const seeded = await seedGolden(tools, prodDump, scope, tmp);
      renameSync(manifestPathFor(tmp), manifestPathFor(goldenPath));
      renameSync(seeded.path, goldenPath);
      // The manifest names its archive file: rewrite it under the final name.
      const manifest = { ...seeded.manifest!, golden: { ...seeded.manifest!.golden, file: 'erp.golden.dump' } };
      writeManifest(goldenPath, manifest);
      built = 'from the fixture SQL';
    }
    const golden = await openGolden(goldenPath, tools, false);

    const copySchema = DEFAULT_BASELINE_SCHEMA;
    const agentLogin = 'ai_agent_sandbox';
    const goldenSha256 = golden.manifest!.golden.sha256;
    const copy = { appSchema: scope.schema, tablePattern: scope.tablePattern, copySchema, goldenSha256 };
    const runToken = newRunToken();
    const untrackedPostReset = [
      postResetSql({ appSchema: scope.schema, appRole: roles.appRole }),
      agentUserSql({ appSchema: scope.schema, login: agentLogin, apiKey: newAgentApiKey() }),
      baselineCopySql(copy),
    ];
    const base = { tools, runtime, identity: { ...layout }, golden, lockTimeoutMs: 10_000 };
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
      golden,
      built,
      target: { ...base, postReset: [...untrackedPostReset, trackingSql({ ...copy, runToken })].join('\n') },
      untrackedTarget: { ...base, postReset: untrackedPostReset.join('\n') },
      fastOptions: { ...copy, runToken, sandboxOwner: layout.sandboxOwner, lockTimeoutMs: 10_000 },
      agentLogin,
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Removes cached goldens of other fixture versions, keeping the current one of each scale. */
export function pruneCache(keep: string[]): void {
  if (!existsSync(CACHE_DIR)) return;
  for (const entry of readdirSync(CACHE_DIR)) {
    if (!keep.includes(entry)) rmSync(join(CACHE_DIR, entry), { recursive: true, force: true });
  }
}
