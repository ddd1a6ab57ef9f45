import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ExecResult, StartedTestContainer } from 'testcontainers';
import { libpqEnv, ToolError, type PgConnection } from './run';
import type { PgTools, RestoreScript } from './tools';

const WORK_DIR = '/tmp/erp-sandbox-bdd';
/** Archives kept inside the container: the golden and the few damaged copies a run uses. */
const CACHED_ARCHIVES = 4;
/** The pipeline's exit code when pg_restore failed (psql itself exits 0 to 3). */
const RESTORE_FAILED = 100;

/*
 * The same atomic reset as LocalPgTools, as one shell pipeline inside the container. COMMIT is printed
 * only after pg_restore exited 0; when it fails, psql reaches the end of its input inside the open
 * transaction and the server rolls it back. dash has no pipefail: pg_restore's status travels in a file.
 * $1 = before.sql, $2 = after.sql (both in a directory of their own, removed at the end), then
 * pg_restore's arguments ending with the archive.
 */
const RESTORE_PIPELINE = `
before=$1; after=$2; shift 2
status=$(mktemp)
{
  printf 'BEGIN;\\n'; cat "$before"; printf '\\n'
  pg_restore --file=- "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then cat "$after"; printf '\\nCOMMIT;\\n'; fi
  echo "$rc" > "$status"
} | psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --file=- >/dev/null
psql_rc=$?
restore_rc=$(cat "$status" 2>/dev/null); rm -rf "$status" "\${before%/*}"
[ "$psql_rc" -eq 0 ] || exit "$psql_rc"
if [ "\${restore_rc:-255}" != 0 ]; then echo "pg_restore exited with code \${restore_rc:-unknown}: COMMIT was not sent" >&2; exit ${RESTORE_FAILED}; fi
`;

interface CachedArchive {
  mtimeMs: number;
  size: number;
  target: string;
}

/**
 * pg_dump, pg_restore and psql run INSIDE a container (testcontainers' exec), so users of the container
 * backend need no local PostgreSQL tools. Archives are copied in and out; passwords travel in the exec's
 * environment, never on a command line. The container must reach the server at the connection's host
 * (host networking for 127.0.0.1).
 */
export class ContainerPgTools implements PgTools {
  private readonly archives = new Map<string, CachedArchive>();
  private copies = 0;

  private constructor(
    private readonly container: StartedTestContainer,
    readonly version: string,
    readonly major: number,
    readonly description: string,
  ) {}

  /** Reads the tools' version inside `container`; fails with what was found when they are missing. */
  static async create(container: StartedTestContainer, image: string): Promise<ContainerPgTools> {
    const probe = await container.exec(['sh', '-c', `mkdir -p ${WORK_DIR} && pg_restore --version && command -v pg_dump && command -v psql`]);
    const version = /(\d+(?:\.\d+)?)/.exec(probe.stdout)?.[1];
    if (probe.exitCode !== 0 || !version) {
      throw new ToolError(`pg_restore --version in container ${container.getId().slice(0, 12)} (${image})`, probe.exitCode,
        `${probe.output}\nExpected pg_dump, pg_restore and psql on the image's PATH; use a PostgreSQL image that has them.`);
    }
    return new ContainerPgTools(container, version, Number(version.split('.')[0]),
      `PostgreSQL ${version} client tools inside container ${container.getId().slice(0, 12)} (${image})`);
  }

  async dump(conn: PgConnection, args: string[], outFile: string): Promise<void> {
    const inside = posix.join(WORK_DIR, `dump-${randomBytes(6).toString('hex')}.dump`);
    try {
      await this.run('pg_dump', ['pg_dump', '--format=custom', `--file=${inside}`, ...args], connectionEnv(conn));
      await extractSingleFile(await this.container.copyArchiveFromContainer(inside), outFile);
    } finally {
      await this.container.exec(['rm', '-f', inside]).catch(() => undefined);
    }
  }

  async list(archive: string): Promise<string> {
    return this.run('pg_restore --list', ['pg_restore', '--list', await this.copyIn(archive)], {});
  }

  async restoreInOneTransaction(conn: PgConnection, archive: string, script: RestoreScript): Promise<void> {
    const inside = await this.copyIn(archive);
    const dir = posix.join(WORK_DIR, `script-${randomBytes(6).toString('hex')}`);
    const before = posix.join(dir, 'before.sql');
    const after = posix.join(dir, 'after.sql');
    // Files rather than arguments or environment: the SQL has no size limit and stays out of `ps`.
    await this.container.copyContentToContainer([
      { content: `${script.before}\n`, target: before },
      { content: `\n${script.after}\n`, target: after },
    ]);
    let result: ExecResult;
    try {
      result = await this.exec('pg_restore | psql', ['sh', '-c', RESTORE_PIPELINE, 'restore', before, after, ...script.restoreArgs, inside], connectionEnv(conn));
    } catch (error) {
      await this.container.exec(['rm', '-rf', dir]).catch(() => undefined);
      throw error;
    }
    if (result.exitCode === RESTORE_FAILED) throw new ToolError('pg_restore', restoreExitCode(result.stderr), result.stderr);
    if (result.exitCode !== 0) throw new ToolError('psql', result.exitCode, result.stderr);
  }

  /** Runs one tool in the container; its stdout, or a ToolError with its stderr. */
  private async run(tool: string, command: string[], env: Record<string, string>): Promise<string> {
    const result = await this.exec(tool, command, env);
    if (result.exitCode !== 0) throw new ToolError(tool, result.exitCode, result.stderr);
    return result.stdout;
  }

  /** container.exec, with a failure to run at all (container gone, runtime down) as a ToolError. */
  private async exec(tool: string, command: string[], env: Record<string, string>): Promise<ExecResult> {
    try {
      return await this.container.exec(command, { env });
    } catch (error) {
      throw new ToolError(tool, null, `could not run it in container ${this.container.getId().slice(0, 12)}: ${(error as Error).message}`);
    }
  }

  /** The archive's path inside the container, copying it only when the host file changed since. */
  private async copyIn(archive: string): Promise<string> {
    const { mtimeMs, size } = await stat(archive);
    const cached = this.archives.get(archive);
    if (cached && cached.mtimeMs === mtimeMs && cached.size === size) {
      // Most recently used last, so that eviction drops the oldest.
      this.archives.delete(archive);
      this.archives.set(archive, cached);
      return cached.target;
    }
    const target = posix.join(WORK_DIR, `archive-${++this.copies}.dump`);
    await this.container.copyFilesToContainer([{ source: archive, target }]);
    if (cached) await this.forget(archive, cached);
    this.archives.set(archive, { mtimeMs, size, target });
    while (this.archives.size > CACHED_ARCHIVES) {
      const [oldest, entry] = this.archives.entries().next().value as [string, CachedArchive];
      await this.forget(oldest, entry);
    }
    return target;
  }

  private async forget(archive: string, entry: CachedArchive): Promise<void> {
    this.archives.delete(archive);
    await this.container.exec(['rm', '-f', entry.target]).catch(() => undefined);
  }
}

/** libpq's environment without the host's PATH, which means nothing inside the container. */
function connectionEnv(conn: PgConnection): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(libpqEnv(conn))) if (key !== 'PATH' && value !== undefined) env[key] = value;
  return env;
}

function restoreExitCode(stderr: string): number | null {
  const code = /pg_restore exited with code (\d+)/.exec(stderr)?.[1];
  return code === undefined ? null : Number(code);
}

/**
 * Writes the one regular file of a tar stream (what Docker's archive endpoint returns for a file) to
 * `outFile`, streaming. Understands ustar, pax extended headers and GNU long names.
 */
export async function extractSingleFile(tar: NodeJS.ReadableStream, outFile: string): Promise<void> {
  const reader = new ChunkReader(tar);
  try {
    await extractWith(reader, outFile);
    // Read to the end: an HTTP response left half-read keeps its socket, and the process, alive.
    while ((await reader.readSome(1 << 20)).length > 0);
  } finally {
    (tar as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
}

async function extractWith(reader: ChunkReader, outFile: string): Promise<void> {
  let paxSize: number | undefined;
  for (;;) {
    const header = await reader.read(512);
    if (header.length < 512 || header.every((byte) => byte === 0)) break;
    const type = String.fromCharCode(header[156] || 48);
    const size = paxSize ?? tarNumber(header.subarray(124, 136));
    const padded = Math.ceil(size / 512) * 512;
    paxSize = undefined;
    if (type === 'x') {
      paxSize = paxSizeOf((await reader.read(padded)).subarray(0, size).toString('utf8'));
    } else if (type === '0' || type === '7') {
      const out = await open(outFile, 'w');
      try {
        let left = size;
        while (left > 0) {
          const chunk = await reader.readSome(left);
          if (chunk.length === 0) throw new Error(`The archive copied out of the container ended ${left} bytes early: expected ${size} bytes for ${outFile}.`);
          await out.write(chunk);
          left -= chunk.length;
        }
      } finally {
        await out.close();
      }
      await reader.read(padded - size);
      return;
    } else {
      await reader.read(padded); // pax global header, GNU long name, directory: nothing to write
    }
  }
  throw new Error(`The archive copied out of the container holds no regular file: expected the dump for ${outFile}.`);
}

function tarNumber(field: Buffer): number {
  // Base-256 (GNU) for sizes beyond 8 GiB, octal otherwise.
  if (field[0] & 0x80) return field.subarray(1).reduce((n, byte) => n * 256 + byte, field[0] & 0x7f);
  return parseInt(field.toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
}

function paxSizeOf(records: string): number | undefined {
  const size = /(?:^|\n)\d+ size=(\d+)\n/.exec(records)?.[1];
  return size === undefined ? undefined : Number(size);
}

/** Reads exact byte counts from a stream, whatever its chunking. */
class ChunkReader {
  private readonly chunks: AsyncIterator<Buffer | string>;
  private pending: Buffer = Buffer.alloc(0);

  constructor(stream: NodeJS.ReadableStream) {
    this.chunks = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes, at least one unless the stream ended. */
  async readSome(max: number): Promise<Buffer> {
    if (this.pending.length === 0) {
      const next = await this.chunks.next();
      if (next.done) return Buffer.alloc(0);
      this.pending = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    }
    const out = this.pending.subarray(0, max);
    this.pending = this.pending.subarray(out.length);
    return out;
  }

  /** Exactly `length` bytes, fewer only at the end of the stream. */
  async read(length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < length) {
      const part = await this.readSome(length - got);
      if (part.length === 0) break;
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts, got);
  }
}
