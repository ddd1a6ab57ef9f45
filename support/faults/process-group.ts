import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** A TypeScript child process leading its own process group, so that it and its tools die together. */
export interface ChildRun {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the `nth` (default first) stdout line matching `pattern` (rejects on exit or after `timeoutMs`). */
  line(pattern: RegExp, timeoutMs?: number, nth?: number): Promise<string>;
  stderr(): string;
  /** SIGKILL to the whole group (the node child, its psql and pg_restore), then waits until none of them runs. */
  killGroup(): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `script` (a .ts file) under ts-node, detached: its process id is its process group id. */
export function spawnTsChild(script: string, env: NodeJS.ProcessEnv): ChildRun {
  const child = spawn(process.execPath, ['--require', 'ts-node/register/transpile-only', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; left: number; resolve: (line: string) => void }[] = [];
  const seen: string[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    let newline: number;
    while ((newline = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, newline);
      out = out.slice(newline + 1);
      seen.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line) && --w.left === 0) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr.on('data', (chunk: string) => (err = (err + chunk).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('close', (code, signal) => done({ code, signal })));
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not start ${script}`);
  return {
    child,
    exited,
    stderr: () => err,
    line(pattern, timeoutMs = 30_000, nth = 1) {
      const matching = seen.filter((l) => pattern.test(l));
      if (matching.length >= nth) return Promise.resolve(matching[nth - 1]);
      return new Promise<string>((resolveLine, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} from ${script} within ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`${script} exited (${signal ?? code}) before printing a line matching ${pattern}; stderr:\n${err}`));
        });
        waiters.push({ pattern, left: nth - matching.length, resolve: (line) => { clearTimeout(timer); resolveLine(line); } });
      });
    },
    async killGroup() {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
      await exited;
      const deadline = performance.now() + 10_000;
      while (livingGroupMembers(pgid).length) {
        if (performance.now() > deadline) throw new Error(`processes of group ${pgid} still run after SIGKILL: ${livingGroupMembers(pgid).join(', ')}`);
        await sleep(20);
      }
    },
  };
}

/** Process ids of the group that are not zombies (Linux /proc). */
export function livingGroupMembers(pgid: number): number[] {
  const alive: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so parse after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') alive.push(Number(entry));
  }
  return alive;
}
