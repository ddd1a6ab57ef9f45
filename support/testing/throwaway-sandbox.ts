import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Golden } from '../golden/golden';
import { seedGolden } from '../golden/seed';
import type { ResetTarget } from '../reset/canonical-reset';
import { postResetSql } from '../reset/post-reset';
import { startLocalCluster, type LocalCluster } from '../cluster/local-cluster';
import { provision, type ProvisionedRoles } from '../cluster/provision';
import { withClient, type PgConnection } from '../db/connect';
import { requirePgBinaries } from '../pgtools/binaries';
import { LocalPgTools } from '../pgtools/tools';
import type { AppScope } from '../golden/scope';

/** A cluster laid out like production with a tiny application of its own, for the support modules' tests. */
export interface ThrowawaySandbox {
  cluster: LocalCluster;
  roles: ProvisionedRoles;
  tools: LocalPgTools;
  scope: AppScope;
  layout: { prodDatabase: string; prodOwner: string; sandboxDatabase: string; sandboxOwner: string };
  superuser(database: string): PgConnection;
  prodDump: PgConnection;
  runtime: PgConnection;
  stop(): Promise<void>;
}

// Deliberately not the Dolibarr fixture: support code must work on any application schema.
export const TINY_APP_SQL = `
  CREATE FUNCTION touch_tms() RETURNS trigger AS $$ BEGIN NEW.tms = now(); RETURN NEW; END; $$ LANGUAGE plpgsql;
  CREATE TABLE llx_parent (rowid serial PRIMARY KEY, code varchar(32) UNIQUE NOT NULL, label text, amount numeric(24,8), tms timestamp);
  CREATE TABLE llx_child (rowid serial PRIMARY KEY, fk_parent integer NOT NULL REFERENCES llx_parent(rowid), note text, qty double precision);
  CREATE INDEX idx_child_parent ON llx_child (fk_parent);
  CREATE TRIGGER parent_tms BEFORE UPDATE ON llx_parent FOR EACH ROW EXECUTE PROCEDURE touch_tms();
  CREATE TABLE not_the_app (id int);
  INSERT INTO llx_parent (code, label, amount) SELECT 'P' || g, 'Café n°' || g || ' l''Étoile', g * 1.25 FROM generate_series(1, 200) g;
  INSERT INTO llx_child (fk_parent, note, qty) SELECT 1 + g % 200, CASE WHEN g % 7 = 0 THEN NULL ELSE 'line ' || g END, g / 3.0 FROM generate_series(1, 2000) g;
`;

export async function startThrowawaySandbox(appSql = TINY_APP_SQL): Promise<ThrowawaySandbox> {
  const bin = requirePgBinaries(undefined, true);
  const cluster = await startLocalCluster(bin);
  const layout = { prodDatabase: 'erp', prodOwner: 'erp_role', sandboxDatabase: 'erp-sandbox', sandboxOwner: 'erp_sandbox_role' };
  const superuser = (database: string): PgConnection => ({ host: cluster.host, port: cluster.port, database, ...cluster.superuser });
  try {
    const roles = await provision(superuser('postgres'), layout);
    await withClient(superuser('erp'), (c) => c.query(`SET ROLE erp_role; ${appSql}`));
    return {
      cluster,
      roles,
      tools: new LocalPgTools(bin),
      scope: { schema: 'public', tablePattern: 'llx\\_%' },
      layout,
      superuser,
      prodDump: { host: cluster.host, port: cluster.port, database: 'erp', ...roles.dump },
      runtime: { host: cluster.host, port: cluster.port, database: 'erp-sandbox', ...roles.runtime },
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** A throwaway sandbox with its golden seeded from production, and the target a canonical reset takes. */
export interface SeededSandbox {
  sandbox: ThrowawaySandbox;
  golden: Golden;
  target: ResetTarget;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway sandbox, seeds its golden, and builds the reset target the harness would: the
 * standard post-reset grants followed by `extraPostReset(golden)` (agent user, baseline copy...).
 */
export async function startSeededSandbox(options: { appSql?: string; extraPostReset?: (golden: Golden, sandbox: ThrowawaySandbox) => string[]; lockTimeoutMs?: number } = {}): Promise<SeededSandbox> {
  const sandbox = await startThrowawaySandbox(options.appSql);
  const dir = mkdtempSync(join(tmpdir(), 'seeded-sandbox-'));
  const stop = async () => {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const golden = await seedGolden(sandbox.tools, sandbox.prodDump, sandbox.scope, join(dir, 'g.dump'));
    const postReset = [postResetSql({ appSchema: sandbox.scope.schema, appRole: sandbox.roles.appRole }), ...(options.extraPostReset?.(golden, sandbox) ?? [])].join('\n');
    const target: ResetTarget = { tools: sandbox.tools, runtime: sandbox.runtime, identity: { ...sandbox.layout }, golden, postReset, lockTimeoutMs: options.lockTimeoutMs ?? 2000 };
    return { sandbox, golden, target, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
