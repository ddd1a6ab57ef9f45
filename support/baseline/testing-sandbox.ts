import { withClient } from '../db/connect';
import type { Golden } from '../golden/golden';
import { canonicalReset, type ResetTarget } from '../reset/canonical-reset';
import { startSeededSandbox, TINY_APP_SQL, type ThrowawaySandbox } from '../testing/throwaway-sandbox';
import { baselineCopySql } from './baseline-copy';
import { DEFAULT_BASELINE_SCHEMA } from './copy-meta';

// The tiny app, plus what the diff must handle besides: secrets next to a natural key, a table without a
// primary key, and names that only survive quoting.
export const DIFF_APP_SQL = `${TINY_APP_SQL}
  CREATE TABLE llx_user (rowid serial PRIMARY KEY, login varchar(50) NOT NULL, entity integer NOT NULL DEFAULT 1,
                         api_key varchar(128), pass_crypted varchar(128), datec timestamp DEFAULT now(), tms timestamp);
  CREATE UNIQUE INDEX uk_user_login ON llx_user (login, entity);
  CREATE UNIQUE INDEX uk_user_api_key ON llx_user (api_key);
  INSERT INTO llx_user (login, api_key, pass_crypted) VALUES ('admin', 'prod-admin-key-0001', 'prod-hash-0001'), ('agent', NULL, NULL);
  CREATE TABLE llx_tag (label text, weight integer);
  INSERT INTO llx_tag VALUES ('red', 1), ('red', 1), ('blue', 2);
  CREATE TABLE "llx_odd ""quoted"" name" ("Row Id" int PRIMARY KEY, "Label" text);
  INSERT INTO "llx_odd ""quoted"" name" VALUES (1, 'one');
`;

/** A throwaway sandbox whose resets make the baseline copy, exactly as the harness's resets do. */
export interface BaselineSandbox {
  sandbox: ThrowawaySandbox;
  golden: Golden;
  target: ResetTarget;
  copySchema: string;
  reset(): Promise<void>;
  /** Runs SQL on the sandbox as the runtime login (what a scenario could do). */
  run(sql: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startBaselineSandbox(): Promise<BaselineSandbox> {
  const copySchema = DEFAULT_BASELINE_SCHEMA;
  const { sandbox, golden, target, stop } = await startSeededSandbox({
    appSql: DIFF_APP_SQL,
    extraPostReset: (g, sb) => [baselineCopySql({ appSchema: sb.scope.schema, tablePattern: sb.scope.tablePattern, copySchema, goldenSha256: g.manifest!.golden.sha256 })],
  });
  return {
    sandbox,
    golden,
    target,
    copySchema,
    reset: async () => void (await canonicalReset(target)),
    run: async (sql) => void (await withClient(sandbox.runtime, (c) => c.query(sql))),
    stop,
  };
}
