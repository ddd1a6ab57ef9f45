import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type PoolClient } from 'pg';
import { DolibarrRefusal, inTransaction, userIdByApiKey } from '../../support/agent/effects';
import type { PgConnection } from '../../support/db/connect';
import { asBody, type Body } from './payloads';
import { HttpError, sendError, sendJson, UNAUTHORIZED } from './replies';
import { matchRoute } from './routes';

/** Options of {@link startDolibarrStandIn}. */
export interface DolibarrStandInOptions {
  /** The sandbox database, as Dolibarr's application role would reach it (tests: the runtime connection). */
  db: PgConnection;
  /** Schema of the Dolibarr tables. */
  appSchema: string;
}

/** A running stand-in. */
export interface DolibarrStandIn {
  /** Root to give DolibarrClient, e.g. http://127.0.0.1:41234 (the API is below /api/index.php). */
  baseUrl: string;
  /** Requests received so far, answered or refused. */
  requests(): number;
  stop(): Promise<void>;
}

const API_ROOT = '/api/index.php';
const MAX_BODY_BYTES = 1 << 20;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, 'request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, method: string, path: string): Body {
  if (method === 'GET' || method === 'DELETE' || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Error parsing JSON');
  }
  return asBody(value, `${method} ${path}`);
}

/**
 * A STAND-IN for Dolibarr's REST API, for tests only: a loopback HTTP server implementing just the endpoints
 * the harness uses, with Dolibarr's request and answer shapes. It authenticates DOLAPIKEY against
 * llx_user.api_key in the sandbox, and writes through support/agent/effects, the very code SqlAgent runs, so
 * the API path and the SQL path are one implementation of the table effects.
 */
export async function startDolibarrStandIn(options: DolibarrStandInOptions): Promise<DolibarrStandIn> {
  const pool = new Pool({ ...options.db, max: 4, connectionTimeoutMillis: 10_000, application_name: 'dolibarr-stand-in' });
  // An idle connection dropped by the server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  let requests = 0;

  async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split(/[?#]/)[0];
    const text = await readBody(req);
    if (!path.startsWith(`${API_ROOT}/`)) throw new HttpError(404, `the Dolibarr stand-in serves ${API_ROOT} only`);
    const resource = path.slice(API_ROOT.length);
    const header = req.headers.dolapikey;
    const apiKey = Array.isArray(header) ? header[0] : header ?? '';
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      const userId = await userIdByApiKey(client, options.appSchema, apiKey);
      // Authentication comes before anything else is looked at: a bad key learns nothing and writes nothing.
      if (userId === null) throw UNAUTHORIZED;
      const { route, id } = matchRoute(method, resource);
      const body = parseBody(text, method, resource);
      const ctx = { client, schema: options.appSchema, userId };
      const call = () => route.handle({ ctx, id, body });
      const result = method === 'GET' ? await call() : await inTransaction(client, call);
      sendJson(res, 200, result);
    } finally {
      client?.release();
    }
  }

  const server = http.createServer((req, res) => {
    requests++;
    answer(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) sendError(res, error.status, error.detail);
      else if (error instanceof DolibarrRefusal) sendError(res, error.status, error.dolibarrMessage);
      else sendError(res, 500, `the Dolibarr stand-in failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests: () => requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
