// Shared fixtures for the dolibarr unit tests (not a test file itself).
import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Dispatcher, MockAgent } from 'undici';
import { DolibarrClient, DolibarrClientOptions } from './client';

/** A key with characters that URL-encode and JSON-escape differently, so every spelling is exercised. */
export const API_KEY = 'sbx-K3y/with+plus=and"quote';

/** Origin the MockAgent pretends to serve; nothing ever connects to it. */
export const SANDBOX = 'http://127.0.0.1:8080';

export interface MockDolibarr {
  agent: MockAgent;
  pool: ReturnType<MockAgent['get']>;
  client: DolibarrClient;
  calls(): { method: string; path: string; body: unknown; headers: Record<string, string> }[];
}

/** A client over a MockAgent that refuses real connections and records every call. */
export function mockDolibarr(options: Partial<DolibarrClientOptions> = {}): MockDolibarr {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  const client = new DolibarrClient({ baseUrl: SANDBOX, apiKey: API_KEY, timeoutMs: 2000, retryDelayMs: 5, dispatcher: agent, ...options });
  return {
    agent,
    pool: agent.get(SANDBOX),
    client,
    calls: () =>
      (agent.getCallHistory()?.calls() ?? []).map((log) => ({
        method: log.method,
        path: log.path,
        body: typeof log.body === 'string' ? JSON.parse(log.body) : log.body,
        headers: lowerCaseHeaders(log.headers),
      })),
  };
}

function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) out[k.toLowerCase()] = String(v);
  }
  return out;
}

export interface LoopbackServer {
  origin: string;
  port: number;
  /** Requests whose headers arrived. */
  requests: { method: string; url: string; body: string }[];
  /** TCP connections accepted. */
  connections(): number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 with an ephemeral port. `handler` may never answer. */
export async function loopbackServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void, port = 0): Promise<LoopbackServer> {
  const requests: LoopbackServer['requests'] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', body: '' };
    requests.push(entry);
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (entry.body += chunk));
    req.on('end', () => handler(req, res));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port that was just bound and released, so connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = await loopbackServer(() => undefined);
  await server.close();
  return server.port;
}

/** An interceptor that counts dispatches reaching the transport below it. */
export function countDispatches(): { interceptor: Dispatcher.DispatcherComposeInterceptor; count(): number } {
  let n = 0;
  return {
    interceptor: (dispatch) => (opts, handler) => {
      n++;
      return dispatch(opts, handler);
    },
    count: () => n,
  };
}

/** Awaits a rejection and returns the error (assert.rejects does not hand it back). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Error, `expected an Error, got ${inspect(err)}`);
    return err;
  }
  assert.fail('expected the promise to reject');
}

/** Asserts the key appears in none of the ways an error gets printed or serialised. */
export function assertKeyAbsent(err: unknown): void {
  const e = err as Error;
  const spellings = [API_KEY, encodeURIComponent(API_KEY), JSON.stringify(API_KEY).slice(1, -1)];
  const renderings = [String(e), e.message, e.stack ?? '', inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e)];
  for (const text of renderings) {
    for (const spelling of spellings) assert.ok(!text.includes(spelling), `API key leaked in: ${text.slice(0, 300)}`);
  }
}
