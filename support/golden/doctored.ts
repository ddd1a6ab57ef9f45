import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { withClient, type PgConnection } from '../db/connect';
import { qualified, quoteIdent } from '../db/ident';
import { parseArchiveHeaderWithLength } from '../pgtools/archive-header';
import { writeArchiveHeader } from '../pgtools/archive-header';
import type { PgTools } from '../pgtools/tools';
import type { Golden } from './golden';
import { manifestPathFor, readManifest, writeManifest } from './manifest';
import type { AppScope } from './scope';
import { seedGolden } from './seed';

/*
 * Deliberately damaged copies of a golden, for the scenarios that prove a bad golden is refused or rolled
 * back. Each lives in its own temporary directory, removed by cleanup().
 */

export interface DoctoredGolden {
  path: string;
  cleanup: () => void;
}

function copyOf(golden: Golden, withManifest: boolean): DoctoredGolden {
  const dir = mkdtempSync(join(tmpdir(), 'erp-sandbox-bdd-golden-'));
  const path = join(dir, basename(golden.path));
  copyFileSync(golden.path, path);
  if (withManifest && golden.manifest) writeManifest(path, golden.manifest);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const withoutManifest = (golden: Golden) => copyOf(golden, false);

/** Cut short, as an interrupted download would leave it; the manifest still describes the whole file. */
export function truncated(golden: Golden): DoctoredGolden {
  const copy = copyOf(golden, true);
  truncateSync(copy.path, Math.floor(statSync(copy.path).size * 0.7));
  return copy;
}

/** Whole, but its manifest records another checksum (a replaced file, or a tampered manifest). */
export function wrongChecksum(golden: Golden): DoctoredGolden {
  const copy = copyOf(golden, true);
  const manifest = readManifest(manifestPathFor(copy.path));
  manifest.golden.sha256 = manifest.golden.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  writeManifest(copy.path, manifest);
  return copy;
}

/** The same archive with the header a newer PostgreSQL major writes, its manifest updated to match. */
export function fromNewerMajor(golden: Golden, major: number): DoctoredGolden {
  const copy = copyOf(golden, false);
  const original = readFileSync(copy.path);
  const { header, length, intSize, offSize } = parseArchiveHeaderWithLength(original, copy.path);
  const newer = { ...header, archiveVersion: major >= 17 ? '1.16' : '1.15', serverVersion: `${major}.2`, dumpVersion: `${major}.2` };
  writeFileSync(copy.path, Buffer.concat([writeArchiveHeader(newer, intSize, offSize), original.subarray(length)]));
  return copy;
}

/**
 * A golden that matches its manifest but whose restore fails near its end: production gets an index whose
 * expression calls a function naming a table without its schema. pg_restore runs with an empty
 * search_path, so building that index (post-data, after every table and row) fails. Needs the provisioner
 * to make a scratch copy of production; production itself is not touched.
 */
export async function failingNearItsEnd(tools: PgTools, superuser: PgConnection, prod: { database: string; owner: string; dump: PgConnection }, scope: AppScope): Promise<DoctoredGolden> {
  const scratch = `${prod.database}_restore_fails_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'erp-sandbox-bdd-golden-'));
  const dropScratch = () => withClient({ ...superuser, database: 'postgres' }, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`));
  try {
    await withClient({ ...superuser, database: 'postgres' }, async (c) => {
      await c.query(`CREATE DATABASE ${quoteIdent(scratch)} TEMPLATE ${quoteIdent(prod.database)} OWNER ${quoteIdent(prod.owner)} STRATEGY = FILE_COPY`);
      await c.query(`GRANT CONNECT ON DATABASE ${quoteIdent(scratch)} TO ${quoteIdent(prod.dump.user)}`);
    });
    await withClient({ ...superuser, database: scratch }, async (c) => {
      const { rows: [target] } = await c.query<{ table: string; column: string; other: string }>(
        `SELECT c.relname AS table, a.attname AS column,
                (SELECT o.relname FROM pg_class o WHERE o.relnamespace = n.oid AND o.relkind = 'r' AND o.relname LIKE $2 AND o.oid <> c.oid ORDER BY o.relname LIMIT 1) AS other
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname LIKE $2 AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)
            AND c.reltuples > 0 ORDER BY c.relname DESC, a.attnum LIMIT 1`,
        [scope.schema, scope.tablePattern],
      );
      if (!target?.other) throw new Error('Cannot build a golden that fails to restore: production needs a non-empty application table with a text column, and a second application table.');
      // plpgsql, so the planner never inlines it; it reads another table, not the one under construction.
      await c.query(`SET ROLE ${quoteIdent(prod.owner)};
        CREATE FUNCTION ${qualified(scope.schema, 'llx_restore_breaker')}(text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE
          AS $$ BEGIN RETURN (SELECT count(*) FROM ${quoteIdent(target.other)} WHERE $1 IS NOT NULL); END $$;
        CREATE INDEX llx_restore_breaker_idx ON ${qualified(scope.schema, target.table)} (${qualified(scope.schema, 'llx_restore_breaker')}(${quoteIdent(target.column)}));`);
    });
    const path = join(dir, 'restore-fails-near-end.golden.dump');
    await seedGolden(tools, { ...prod.dump, database: scratch }, scope, path);
    await dropScratch();
    return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    await dropScratch().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
