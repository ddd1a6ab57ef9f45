import { Client } from 'pg';
import type { PgConnection } from '../pgtools/run';
import { redact } from './redact';

export type { PgConnection };

/** Explains a connection failure: what was expected, what happened, what to do. Never includes the password. */
export function explainConnectError(conn: PgConnection, error: unknown): Error {
  const where = `${conn.user}@${conn.host}:${conn.port}/${conn.database}`;
  const code = (error as { code?: string }).code;
  const raw = error instanceof Error ? error.message : String(error);
  const hints: Record<string, string> = {
    ECONNREFUSED: 'nothing listens there: is the server running, and are host and port right?',
    ENOTFOUND: 'the host name does not resolve: check the host setting.',
    ETIMEDOUT: 'the server did not answer in time: check the address and any firewall.',
    CONNECT_TIMEOUT: 'the server did not answer within the connect timeout (BDD_CONNECT_TIMEOUT_MS).',
    '28P01': 'wrong password for this role: check the credentials.',
    '28000': 'the server refused this role or address (pg_hba.conf): check the role name and where you connect from.',
    '3D000': 'that database does not exist on this server.',
    '42501': 'this role has no CONNECT privilege on that database.',
    '57P03': 'the server is starting up or shutting down: try again shortly.',
  };
  const hint = (code && hints[code]) ?? 'see the server message above.';
  const wrapped = new Error(redact(`Could not connect to PostgreSQL as ${where}: ${raw} (${code ?? 'no code'}). ${hint}`));
  (wrapped as Error & { code?: string }).code = code;
  return wrapped;
}

/** Opens a client with a bounded connect time; errors are explained and redacted. */
export async function connect(conn: PgConnection, connectTimeoutMs = 10_000): Promise<Client> {
  const client = new Client({
    host: conn.host,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    password: conn.password,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'erp-sandbox-bdd',
  });
  // A connection dropped later must fail the query that uses it, not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const timedOut = /timeout/i.test(String((error as Error)?.message));
    throw explainConnectError(conn, timedOut ? Object.assign(new Error(String((error as Error).message)), { code: 'CONNECT_TIMEOUT' }) : error);
  }
  return client;
}

/** Runs `work` with a fresh client and always closes it. */
export async function withClient<T>(conn: PgConnection, work: (client: Client) => Promise<T>, connectTimeoutMs?: number): Promise<T> {
  const client = await connect(conn, connectTimeoutMs);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
