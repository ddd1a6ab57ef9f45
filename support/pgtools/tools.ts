import { spawn } from 'node:child_process';
import type { PgBinaries } from './binaries';
import { collectStderr, libpqEnv, runTool, ToolError, waitForExit, type PgConnection } from './run';

export interface RestoreScript {
  /** SQL run inside the transaction before the archive's own SQL (the wipe). */
  before: string;
  /** SQL run inside the transaction after it (post-reset steps). */
  after: string;
  /** Extra pg_restore options, e.g. --role. */
  restoreArgs: string[];
}

/**
 * How the harness runs PostgreSQL's client tools: with local binaries, or inside a container so that
 * container users need no local installation. Every operation connects with the credentials it is given.
 */
export interface PgTools {
  /** e.g. "PostgreSQL 15.18 client tools in /usr/lib/postgresql/15/bin" */
  readonly description: string;
  readonly version: string;
  readonly major: number;
  /** pg_dump in custom format of `conn` into `outFile`, with extra pg_dump options. */
  dump(conn: PgConnection, args: string[], outFile: string): Promise<void>;
  /** pg_restore --list of an archive. */
  list(archive: string): Promise<string>;
  /**
   * Runs `before`, the archive's SQL and `after` in ONE transaction through psql. COMMIT is sent only once
   * pg_restore has produced the whole archive without error, so a truncated or unreadable archive, a
   * failing statement, or a killed process all end in a rollback: the database stays as it was.
   */
  restoreInOneTransaction(conn: PgConnection, archive: string, script: RestoreScript): Promise<void>;
}

export class LocalPgTools implements PgTools {
  readonly description: string;
  readonly version: string;
  readonly major: number;

  constructor(
    private readonly bin: PgBinaries,
    /** Bound on the tools' connection attempts (libpq counts whole seconds). */
    private readonly connectTimeoutMs = 10_000,
  ) {
    this.description = `PostgreSQL ${bin.version} client tools in ${bin.dir}`;
    this.version = bin.version;
    this.major = bin.major;
  }

  private connectSeconds(): number {
    return Math.max(2, Math.ceil(this.connectTimeoutMs / 1000));
  }

  async dump(conn: PgConnection, args: string[], outFile: string): Promise<void> {
    await runTool(this.bin.path('pg_dump'), ['--format=custom', `--file=${outFile}`, ...args], libpqEnv(conn, this.connectSeconds()), 'pg_dump');
  }

  async list(archive: string): Promise<string> {
    return runTool(this.bin.path('pg_restore'), ['--list', archive], { PATH: process.env.PATH }, 'pg_restore --list');
  }

  async restoreInOneTransaction(conn: PgConnection, archive: string, script: RestoreScript): Promise<void> {
    const restore = spawn(this.bin.path('pg_restore'), ['--file=-', ...script.restoreArgs, archive], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const psql = spawn(this.bin.path('psql'), ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--file=-'], {
      env: libpqEnv(conn, this.connectSeconds()),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const restoreDone = waitForExit(restore, 'pg_restore', collectStderr(restore));
    const psqlDone = waitForExit(psql, 'psql', collectStderr(psql));
    // psql may exit early on an error; its closed stdin must not crash the harness.
    psql.stdin.on('error', () => undefined);

    psql.stdin.write(`BEGIN;\n${script.before}\n`);
    restore.stdout.pipe(psql.stdin, { end: false });
    const restoreOutcome = await restoreDone.then(() => undefined, (error: Error) => error);
    if (restoreOutcome) {
      // No COMMIT: closing the session rolls everything back.
      psql.stdin.end();
      await psqlDone.catch(() => undefined);
      throw restoreOutcome;
    }
    psql.stdin.end(`\n${script.after}\nCOMMIT;\n`);
    await psqlDone;
  }
}

export { ToolError };
