import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export const CLIENT_TOOLS = ['pg_dump', 'pg_restore', 'psql'] as const;
export const SERVER_TOOLS = ['initdb', 'pg_ctl', 'postgres'] as const;
export type PgTool = (typeof CLIENT_TOOLS)[number] | (typeof SERVER_TOOLS)[number];

export interface PgBinaries {
  dir: string;
  /** Full version of pg_restore, e.g. "15.18". */
  version: string;
  major: number;
  path(tool: PgTool): string;
  hasServer: boolean;
}

const DEBIAN_ROOT = '/usr/lib/postgresql';

function candidateDirs(explicit?: string): string[] {
  if (explicit) return [explicit];
  const dirs: string[] = [];
  if (existsSync(DEBIAN_ROOT)) {
    const majors = readdirSync(DEBIAN_ROOT).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
    for (const major of majors) dirs.push(join(DEBIAN_ROOT, major, 'bin'));
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) dirs.push(dir);
  return dirs;
}

/**
 * Finds the PostgreSQL binaries: BDD_PG_BIN if set, else the newest Debian install, else PATH.
 * Returns undefined when no directory holds the client tools.
 */
export function findPgBinaries(explicit?: string): PgBinaries | undefined {
  for (const dir of candidateDirs(explicit)) {
    if (!CLIENT_TOOLS.every((tool) => existsSync(join(dir, tool)))) continue;
    const out = execFileSync(join(dir, 'pg_restore'), ['--version'], { encoding: 'utf8' });
    const version = /(\d+(?:\.\d+)?)/.exec(out)?.[1] ?? '0';
    return {
      dir,
      version,
      major: Number(version.split('.')[0]),
      path: (tool) => join(dir, tool),
      hasServer: SERVER_TOOLS.every((tool) => existsSync(join(dir, tool))),
    };
  }
  return undefined;
}

export function requirePgBinaries(explicit: string | undefined, needServer: boolean): PgBinaries {
  const found = findPgBinaries(explicit);
  if (found && (!needServer || found.hasServer)) return found;
  const where = explicit ? `in BDD_PG_BIN=${explicit}` : `under ${DEBIAN_ROOT}/*/bin or on PATH`;
  const missing = needServer ? 'PostgreSQL server binaries (initdb, pg_ctl, postgres) and client tools (pg_dump, pg_restore, psql)' : 'PostgreSQL client tools (pg_dump, pg_restore, psql)';
  throw new Error(
    `No ${missing} found ${where}. Ways out: install them (Debian: apt-get install postgresql-15), ` +
      'point BDD_PG_BIN at their directory, use the container backend (BDD_BACKEND=container) where a container runtime works, ' +
      'or run against an existing sandbox (BDD_BACKEND=live).',
  );
}
