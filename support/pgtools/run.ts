import { spawn, type ChildProcess } from 'node:child_process';
import { redact } from '../db/redact';

/** Where a client tool connects. The password travels in the environment, never on a command line. */
export interface PgConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** libpq environment for a tool connecting as `conn`; the application name lets the server log say who it was. */
export function libpqEnv(conn: PgConnection, connectTimeoutSeconds = 10): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    PGHOST: conn.host,
    PGPORT: String(conn.port),
    PGDATABASE: conn.database,
    PGUSER: conn.user,
    PGPASSWORD: conn.password,
    PGCONNECT_TIMEOUT: String(connectTimeoutSeconds),
    PGAPPNAME: 'erp-sandbox-bdd',
    PGSSLMODE: 'prefer',
  };
}

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const detail = redact(stderr.trim()).split('\n').slice(-15).join('\n');
    super(`${tool} failed (${exitCode === null ? 'killed' : `exit code ${exitCode}`})${detail ? `:\n${detail}` : ''}`);
    this.name = 'ToolError';
  }
}

/** Collects a child's stderr (bounded, the tail is what explains a failure). */
export function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-64_000);
  });
  return () => text;
}

export function waitForExit(child: ChildProcess, tool: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new ToolError(tool, null, `${stderr()}\n${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ToolError(tool, signal ? null : code, stderr()));
    });
  });
}

/** Runs a tool to completion and returns its stdout; stderr goes into the error when it fails. */
export async function runTool(command: string, args: string[], env: NodeJS.ProcessEnv, toolName = command): Promise<string> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  await waitForExit(child, toolName, collectStderr(child));
  return stdout;
}
