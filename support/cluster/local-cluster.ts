import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { PgBinaries } from '../pgtools/binaries';
import { runTool } from '../pgtools/run';
import { registerSecret } from '../db/redact';
import { onInterrupt } from './exit-cleanup';
import { freeLoopbackPort, processAlive } from './host';

/** A throwaway PostgreSQL cluster on loopback, started from the machine's binaries. */
export interface LocalCluster {
  host: string;
  port: number;
  dir: string;
  logFile: string;
  superuser: { user: string; password: string };
  stop(): Promise<void>;
}

const BASE = join(tmpdir(), 'erp-sandbox-bdd-clusters');
const OWNER_FILE = 'owner.json';
const SUPERUSER = 'postgres';

interface Owner {
  pid: number;
  host: string;
  startedAt: string;
}

const isRoot = () => process.getuid?.() === 0;

/** initdb refuses to run as root: run the server tools as the postgres user then. */
function asServerUser(bin: PgBinaries, tool: 'initdb' | 'pg_ctl'): { command: string; prefix: string[] } {
  return isRoot() ? { command: 'runuser', prefix: ['-u', 'postgres', '--', bin.path(tool)] } : { command: bin.path(tool), prefix: [] };
}

function serverUserIds(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('Running as root, the local backend needs the "postgres" system user to run the server (initdb refuses root); none exists. Install PostgreSQL from Debian packages (apt-get install postgresql-15), or run as a normal user.');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}



function stopSync(bin: PgBinaries, dir: string): void {
  const dataDir = join(dir, 'data');
  if (existsSync(join(dataDir, 'postmaster.pid'))) {
    const { command, prefix } = asServerUser(bin, 'pg_ctl');
    try {
      execFileSync(command, [...prefix, '-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'], { stdio: 'ignore' });
    } catch {
      // Already stopped, or its data directory is damaged: removing the directory is what matters.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Removes clusters left behind by runs that were killed (their owner process is gone), so that a
 * SIGKILLed run never leaks a server or its disk. Returns a line per cluster removed.
 */
export function sweepStaleClusters(bin: PgBinaries): string[] {
  if (!existsSync(BASE)) return [];
  const removed: string[] = [];
  for (const entry of readdirSync(BASE)) {
    const dir = join(BASE, entry);
    let owner: Owner | undefined;
    try {
      owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Owner;
    } catch {
      owner = undefined; // no marker yet: a run being started right now, or a half-made directory
    }
    if (!owner || (owner.host === hostname() && processAlive(owner.pid))) continue;
    stopSync(bin, dir);
    removed.push(`removed a cluster left by a run that was killed (pid ${owner.pid}, started ${owner.startedAt}): ${dir}`);
  }
  return removed;
}

const SETTINGS = (port: number, socketDir: string) => `
# erp-sandbox-bdd: a throwaway cluster, on loopback only, durability traded for speed.
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${socketDir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
# A one-transaction reset of ~400 tables (and its baseline copy) holds thousands of locks.
max_locks_per_transaction = 256
shared_buffers = 128MB
log_connections = on
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
`;

/** Starts a fresh cluster with password authentication (scram-sha-256) for every connection, never trust. */
export async function startLocalCluster(bin: PgBinaries, log: (line: string) => void = () => undefined): Promise<LocalCluster> {
  for (const line of sweepStaleClusters(bin)) log(line);
  const ids = serverUserIds();
  mkdirSync(BASE, { recursive: true, mode: 0o755 });
  const dir = join(BASE, `run-${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  const owner: Owner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner));
  const unregister = onInterrupt(() => stopSync(bin, dir));

  try {
    const password = randomBytes(24).toString('base64url');
    registerSecret(password);
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    const socketDir = join(dir, 'socket');
    mkdirSync(socketDir, { mode: 0o700 });
    if (ids) {
      chownSync(dir, ids.uid, ids.gid);
      chownSync(pwfile, ids.uid, ids.gid);
      chownSync(socketDir, ids.uid, ids.gid);
    }
    const dataDir = join(dir, 'data');
    const initdb = asServerUser(bin, 'initdb');
    await runTool(initdb.command, [...initdb.prefix, '-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwfile}`,
      '--auth-local=scram-sha-256', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'],
      { PATH: process.env.PATH, LANG: 'C.UTF-8' }, 'initdb');
    rmSync(pwfile);

    const logFile = join(dir, 'server.log');
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freeLoopbackPort();
      appendFileSync(join(dataDir, 'postgresql.conf'), SETTINGS(port, socketDir));
      const pgCtl = asServerUser(bin, 'pg_ctl');
      try {
        await runTool(pgCtl.command, [...pgCtl.prefix, '-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start'], { PATH: process.env.PATH, LANG: 'C.UTF-8' }, 'pg_ctl start');
        break;
      } catch (error) {
        // Another process may have taken the port between our probe and the server's bind.
        if (attempt >= 3) throw new Error(`${(error as Error).message}\nServer log (${logFile}):\n${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '(none)'}`, { cause: error });
      }
    }

    return {
      host: '127.0.0.1',
      port,
      dir,
      logFile,
      superuser: { user: SUPERUSER, password },
      async stop() {
        unregister();
        stopSync(bin, dir);
      },
    };
  } catch (error) {
    unregister();
    stopSync(bin, dir);
    throw error;
  }
}

export function describeRunner(): string {
  return isRoot() ? `as the postgres user (the harness runs as ${userInfo().username})` : `as ${userInfo().username}`;
}
