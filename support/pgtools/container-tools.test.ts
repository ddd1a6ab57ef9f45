import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ExecOptions, ExecResult, StartedTestContainer } from 'testcontainers';
import { ContainerPgTools, extractSingleFile } from './container-tools';
import type { PgConnection } from './run';

/*
 * A stand-in for a container that runs the commands on this machine, with fake pg_dump, pg_restore and
 * psql: the restore pipeline's shell logic runs for real (under sh, as in the container), and every
 * exec, copy and environment is recorded.
 */
const FAKE_TOOLS = {
  pg_restore: `#!/bin/sh
[ "$1" = --version ] && { echo 'pg_restore (PostgreSQL) 15.18'; exit 0; }
[ "$1" = --list ] && { echo "; listing of $2"; exit 0; }
printf 'CREATE TABLE from_archive (id int);\\nCOPY from_archive FROM stdin;\\n1\\n'
[ -n "$FAKE_RESTORE_FAILS" ] && { echo 'pg_restore: error: could not read from input file: end of file' >&2; exit 1; }
printf '\\\\.\\n'`,
  psql: `#!/bin/sh
cat > "$FAKE_PSQL_INPUT"
env > "$FAKE_PSQL_INPUT.env"
[ -n "$FAKE_PSQL_FAILS" ] && { echo 'psql:<stdin>:4: ERROR:  relation "x" does not exist' >&2; exit 3; }
exit 0`,
  pg_dump: `#!/bin/sh
for arg; do case "$arg" in --file=*) printf 'PGDMP fake archive %s' "$(seq 1 500 | tr '\\n' ' ')" > "\${arg#--file=}";; esac; done`,
};

class LocalStandIn {
  readonly execs: { command: string[]; env: Record<string, string> }[] = [];
  readonly copies: string[] = [];
  readonly extraEnv: Record<string, string> = {};

  constructor(private readonly root: string, private readonly bin: string) {}

  private local(path: string): string {
    return path.split('/tmp/erp-sandbox-bdd').join(this.root);
  }

  getId(): string {
    return 'f00dfeedbeef0123456789';
  }

  async exec(command: string[], opts?: Partial<ExecOptions>): Promise<ExecResult> {
    this.execs.push({ command, env: opts?.env ?? {} });
    const [file, ...args] = command.map((part) => this.local(part));
    const result = spawnSync(file, args, { env: { PATH: `${this.bin}:/usr/bin:/bin`, ...this.extraEnv, ...opts?.env }, encoding: 'utf8' });
    return { stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr, exitCode: result.status ?? -1 };
  }

  async copyFilesToContainer(files: { source: string; target: string }[]): Promise<void> {
    for (const { source, target } of files) {
      this.copies.push(target);
      mkdirSync(dirname(this.local(target)), { recursive: true });
      copyFileSync(source, this.local(target));
    }
  }

  async copyContentToContainer(contents: { content: string; target: string }[]): Promise<void> {
    for (const { content, target } of contents) {
      mkdirSync(dirname(this.local(target)), { recursive: true });
      writeFileSync(this.local(target), content);
    }
  }

  /** What Docker's archive endpoint returns: a tar of the one file, here in pax format. */
  async copyArchiveFromContainer(path: string): Promise<NodeJS.ReadableStream> {
    return spawn('tar', ['--format=pax', '-C', dirname(this.local(path)), '-cf', '-', basename(path)]).stdout;
  }
}

describe('ContainerPgTools', () => {
  let dir: string;
  let standIn: LocalStandIn;
  let tools: ContainerPgTools;
  const conn: PgConnection = { host: '127.0.0.1', port: 5432, database: 'erp-sandbox', user: 'erp_sandbox_user', password: 'not-on-any-command-line' };
  const script = { before: 'DROP OWNED BY CURRENT_USER CASCADE;', after: 'GRANT SELECT ON from_archive TO app;', restoreArgs: ['--no-owner', '--exit-on-error'] };
  const psqlInput = () => readFileSync(standIn.extraEnv.FAKE_PSQL_INPUT, 'utf8');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'container-tools-test-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const [name, body] of Object.entries(FAKE_TOOLS)) {
      writeFileSync(join(bin, name), body);
      chmodSync(join(bin, name), 0o755);
    }
    standIn = new LocalStandIn(join(dir, 'container'), bin);
    standIn.extraEnv.FAKE_PSQL_INPUT = join(dir, 'psql-input.sql');
    tools = await ContainerPgTools.create(standIn as unknown as StartedTestContainer, 'some/postgres:15');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads the version of the tools inside the container', () => {
    assert.equal(tools.version, '15.18');
    assert.equal(tools.major, 15);
    assert.equal(tools.description, 'PostgreSQL 15.18 client tools inside container f00dfeedbeef (some/postgres:15)');
  });

  test('a restore sends BEGIN, before, the archive, after and COMMIT, with the password only in the environment', async () => {
    const archive = join(dir, 'ok.dump');
    writeFileSync(archive, 'PGDMP');
    await tools.restoreInOneTransaction(conn, archive, script);
    assert.match(psqlInput(), /^BEGIN;\nDROP OWNED BY CURRENT_USER CASCADE;\n\nCREATE TABLE from_archive[\s\S]*\\\.\n\nGRANT SELECT ON from_archive TO app;\n\nCOMMIT;\n$/);
    const env = readFileSync(`${standIn.extraEnv.FAKE_PSQL_INPUT}.env`, 'utf8');
    assert.match(env, /^PGPASSWORD=not-on-any-command-line$/m);
    assert.match(env, /^PGUSER=erp_sandbox_user$/m);
    for (const { command, env: execEnv } of standIn.execs) {
      assert.ok(!command.join(' ').includes(conn.password), `password on a command line: ${command.join(' ')}`);
      assert.equal(execEnv.PATH, undefined, 'the host PATH is not passed into the container');
    }
  });

  test('when pg_restore fails midway, COMMIT is never sent and the error names pg_restore', async () => {
    const archive = join(dir, 'truncated.dump');
    writeFileSync(archive, 'PGDMP');
    standIn.extraEnv.FAKE_RESTORE_FAILS = '1';
    try {
      await assert.rejects(tools.restoreInOneTransaction(conn, archive, script), (error: Error & { tool?: string; exitCode?: number }) => {
        assert.equal(error.tool, 'pg_restore');
        assert.equal(error.exitCode, 1);
        assert.match(error.message, /end of file[\s\S]*exited with code 1: COMMIT was not sent/);
        return true;
      });
    } finally {
      delete standIn.extraEnv.FAKE_RESTORE_FAILS;
    }
    assert.match(psqlInput(), /^BEGIN;\n[\s\S]*\n1\n$/);
    assert.doesNotMatch(psqlInput(), /COMMIT|GRANT/);
  });

  test('when psql fails, the error names psql with its exit code', async () => {
    const archive = join(dir, 'ok.dump');
    standIn.extraEnv.FAKE_PSQL_FAILS = '1';
    try {
      await assert.rejects(tools.restoreInOneTransaction(conn, archive, script), /psql failed \(exit code 3\):\npsql:<stdin>:4: ERROR: {2}relation "x" does not exist/);
    } finally {
      delete standIn.extraEnv.FAKE_PSQL_FAILS;
    }
  });

  test('an archive is copied in once, again when it changes, and old copies are removed', async () => {
    const archive = join(dir, 'cached.dump');
    writeFileSync(archive, 'PGDMP one');
    const copiesBefore = standIn.copies.length;
    assert.match(await tools.list(archive), /; listing of \S+\/archive-\d+\.dump/);
    assert.match(standIn.copies.at(-1)!, /^\/tmp\/erp-sandbox-bdd\/archive-\d+\.dump$/);
    await tools.restoreInOneTransaction(conn, archive, script);
    await tools.list(archive);
    assert.equal(standIn.copies.length - copiesBefore, 1, 'copies of an unchanged archive');

    utimesSync(archive, new Date(), new Date(Date.now() + 5000));
    await tools.list(archive);
    assert.equal(standIn.copies.length - copiesBefore, 2, 'copies after the archive changed');
    const removed = standIn.execs.filter((e) => e.command[0] === 'rm' && e.command[2] === standIn.copies[copiesBefore]);
    assert.equal(removed.length, 1, 'the outdated copy is removed from the container');

    for (let i = 0; i < 5; i++) {
      writeFileSync(join(dir, `other-${i}.dump`), 'PGDMP');
      await tools.list(join(dir, `other-${i}.dump`));
    }
    const left = spawnSync('ls', [join(dir, 'container')], { encoding: 'utf8' }).stdout.split('\n').filter((f) => f.startsWith('archive-'));
    assert.equal(left.length, 4, `archives kept in the container: ${left.join(', ')}`);
  });

  test('a dump is written in the container and copied out to the host path', async () => {
    const out = join(dir, 'out.dump');
    await tools.dump(conn, ['--snapshot=00000003-1', '--exclude-schema', '"pooler"'], out);
    assert.match(readFileSync(out, 'utf8'), /^PGDMP fake archive 1 2 3 [\d ]+ 500 $/);
    const dumpExec = standIn.execs.find((e) => e.command[0] === 'pg_dump')!;
    assert.deepEqual(dumpExec.command.slice(-3), ['--snapshot=00000003-1', '--exclude-schema', '"pooler"']);
    assert.equal(dumpExec.env.PGPASSWORD, conn.password);
    const left = spawnSync('ls', [join(dir, 'container')], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(left, /dump-|script-/, 'dumps and restore scripts are removed from the container');
  });
});

describe('extractSingleFile', () => {
  test('writes the one file of a ustar or pax tar stream, whatever its size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'extract-test-'));
    try {
      const content = Buffer.from(Array.from({ length: 70_001 }, (_, i) => i % 251));
      writeFileSync(join(dir, 'a-name-longer-than-one-hundred-characters-'.repeat(3) + '.dump'), content);
      for (const format of ['ustar', 'pax', 'gnu']) {
        const name = format === 'ustar' ? 'short.dump' : 'a-name-longer-than-one-hundred-characters-'.repeat(3) + '.dump';
        if (format === 'ustar') writeFileSync(join(dir, name), content);
        const out = join(dir, `out-${format}`);
        await extractSingleFile(spawn('tar', [`--format=${format}`, '-C', dir, '-cf', '-', name]).stdout, out);
        assert.deepEqual(readFileSync(out), content, format);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses a stream that ends before the file does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'extract-test-'));
    try {
      writeFileSync(join(dir, 'f.dump'), Buffer.alloc(10_000, 1));
      const tar = spawnSync('tar', ['-C', dir, '-cf', '-', 'f.dump']).stdout.subarray(0, 4096);
      const { Readable } = await import('node:stream');
      await assert.rejects(extractSingleFile(Readable.from([tar]), join(dir, 'out')), /ended 6416 bytes early: expected 10000 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
