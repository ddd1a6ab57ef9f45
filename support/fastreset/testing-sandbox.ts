import type { ClientBase } from 'pg';
import { baselineCopySql } from '../baseline/baseline-copy';
import { DEFAULT_BASELINE_SCHEMA } from '../baseline/copy-meta';
import { DIFF_APP_SQL } from '../baseline/testing-sandbox';
import { connect, withClient } from '../db/connect';
import { fingerprintDatabase, type Fingerprints } from '../golden/fingerprint';
import type { Golden } from '../golden/golden';
import { canonicalReset, type ResetTarget } from '../reset/canonical-reset';
import { startSeededSandbox, type ThrowawaySandbox } from '../testing/throwaway-sandbox';
import { fastReset, type FastResetOptions, type FastResetResult } from './fast-reset';
import { newRunToken, trackingSql } from './tracking-sql';

/**
 * The diff's tiny application, plus what the fast reset must handle besides: a chain of foreign keys
 * (grandchild -> child -> parent), a deferrable key, a self-reference, an identity column and a generated
 * column, a composite key, keys that cascade on delete (their tables are restored in place; one also has a
 * BEFORE UPDATE trigger, so an update of its existing rows forces the canonical reset), a trigger that
 * writes elsewhere (its side effects force the canonical reset).
 */
export const TRACKED_APP_SQL = `${DIFF_APP_SQL}
  CREATE TABLE llx_grandchild (rowid serial PRIMARY KEY, fk_child integer NOT NULL REFERENCES llx_child (rowid),
                               fk_parent integer REFERENCES llx_parent (rowid) DEFERRABLE INITIALLY IMMEDIATE, label text, amount numeric(12,2));
  INSERT INTO llx_grandchild (fk_child, fk_parent, label, amount) SELECT 1 + g % 2000, CASE WHEN g % 3 = 0 THEN NULL ELSE 1 + g % 200 END, 'gc ' || g, g * 0.5 FROM generate_series(1, 500) g;
  CREATE TABLE llx_node (rowid integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, fk_parent_node integer REFERENCES llx_node (rowid),
                         fk_parent integer REFERENCES llx_parent (rowid), name text UNIQUE NOT NULL, depth integer NOT NULL DEFAULT 0,
                         doubled integer GENERATED ALWAYS AS (depth * 2) STORED, tms timestamp);
  INSERT INTO llx_node (fk_parent_node, fk_parent, name, depth) SELECT NULL, g, 'root ' || g, 0 FROM generate_series(1, 20) g;
  INSERT INTO llx_node (fk_parent_node, fk_parent, name, depth) SELECT 1 + g % 20, 1 + g % 200, 'leaf ' || g, 1 FROM generate_series(1, 80) g;
  CREATE TABLE llx_link (fk_parent integer NOT NULL REFERENCES llx_parent (rowid), fk_node integer NOT NULL REFERENCES llx_node (rowid) ON DELETE CASCADE,
                         weight integer, PRIMARY KEY (fk_parent, fk_node));
  INSERT INTO llx_link SELECT 1 + g % 200, 1 + g % 100, g FROM generate_series(1, 300) g ON CONFLICT DO NOTHING;
  CREATE TABLE llx_category (rowid serial PRIMARY KEY, label text NOT NULL, tms timestamp);
  INSERT INTO llx_category (label) SELECT 'cat ' || g FROM generate_series(1, 10) g;
  CREATE TRIGGER category_tms BEFORE UPDATE ON llx_category FOR EACH ROW EXECUTE PROCEDURE touch_tms();
  CREATE TABLE llx_category_parent (fk_category integer NOT NULL REFERENCES llx_category (rowid) ON DELETE CASCADE,
                                    fk_parent integer NOT NULL REFERENCES llx_parent (rowid), PRIMARY KEY (fk_category, fk_parent));
  INSERT INTO llx_category_parent SELECT 1 + g % 10, g FROM generate_series(1, 50) g;
  CREATE TABLE llx_audit (rowid serial PRIMARY KEY, what text NOT NULL);
  CREATE TABLE llx_watched (rowid serial PRIMARY KEY, label text);
  INSERT INTO llx_watched (label) SELECT 'w' || g FROM generate_series(1, 10) g;
  CREATE FUNCTION audit_watched() RETURNS trigger AS $$ BEGIN INSERT INTO llx_audit (what) VALUES (TG_OP || ' ' || NEW.rowid); RETURN NULL; END; $$ LANGUAGE plpgsql;
  CREATE TRIGGER watched_audit AFTER INSERT ON llx_watched FOR EACH ROW EXECUTE PROCEDURE audit_watched();
`;

/** A throwaway sandbox whose canonical resets make the baseline copy and install change tracking, as the harness's would. */
export interface TrackedSandbox {
  sandbox: ThrowawaySandbox;
  golden: Golden;
  target: ResetTarget;
  fastOptions: FastResetOptions;
  /** The sandbox right after the first canonical reset: what every reset must give back. */
  baseline: Fingerprints;
  canonical(): Promise<void>;
  fast(client?: ClientBase): Promise<FastResetResult>;
  /** Runs SQL on the sandbox as the runtime login (what a scenario could do). */
  run(sql: string): Promise<void>;
  fingerprint(): Promise<Fingerprints>;
  stop(): Promise<void>;
}

export async function startTrackedSandbox(appSql = TRACKED_APP_SQL): Promise<TrackedSandbox> {
  const copySchema = DEFAULT_BASELINE_SCHEMA;
  const runToken = newRunToken();
  let fastOptions: FastResetOptions | undefined;
  const seeded = await startSeededSandbox({
    appSql,
    lockTimeoutMs: 5000,
    extraPostReset: (golden, sb) => {
      const scope = { appSchema: sb.scope.schema, tablePattern: sb.scope.tablePattern, copySchema, goldenSha256: golden.manifest!.golden.sha256 };
      fastOptions = { ...scope, runToken, sandboxOwner: sb.layout.sandboxOwner, lockTimeoutMs: 5000 };
      return [baselineCopySql(scope), trackingSql({ ...scope, runToken })];
    },
  });
  const { sandbox, golden, target } = seeded;
  try {
    const fingerprint = () => withClient(sandbox.runtime, (c) => fingerprintDatabase(c, sandbox.scope));
    await canonicalReset(target);
    const baseline = await fingerprint();
    return {
      sandbox,
      golden,
      target,
      fastOptions: fastOptions!,
      baseline,
      canonical: async () => void (await canonicalReset(target)),
      fast: async (client) => {
        if (client) return fastReset(client, fastOptions!);
        const own = await connect(sandbox.runtime);
        try {
          return await fastReset(own, fastOptions!);
        } finally {
          await own.end().catch(() => undefined);
        }
      },
      run: async (sql) => void (await withClient(sandbox.runtime, (c) => c.query(sql))),
      fingerprint,
      stop: seeded.stop,
    };
  } catch (error) {
    await seeded.stop();
    throw error;
  }
}
