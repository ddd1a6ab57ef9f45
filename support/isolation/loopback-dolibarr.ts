import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one request that reached a stand-in Dolibarr carried. */
export interface ReceivedRequest {
  method: string;
  path: string;
  /** Whether the agent's key was anywhere in it: a header, the path or the body. */
  carriedKey: boolean;
}

/** An HTTP server on 127.0.0.1 playing a Dolibarr, recording everything that reaches it. */
export interface StandInDolibarr {
  readonly origin: string;
  readonly received: readonly ReceivedRequest[];
  /** TCP connections accepted, whether or not a request followed. */
  connections(): number;
  stop(): Promise<void>;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string };

function carries(key: string, texts: string[]): boolean {
  const spellings = [key, encodeURIComponent(key)];
  return texts.some((text) => spellings.some((spelling) => text.includes(spelling)));
}

/** Starts a stand-in Dolibarr on an ephemeral loopback port; `answer` decides what each request gets. */
export async function startStandInDolibarr(apiKey: string, answer: (path: string) => Answer): Promise<StandInDolibarr> {
  const received: ReceivedRequest[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ method: req.method ?? '', path, carriedKey: carries(apiKey, [path, body, ...req.rawHeaders]) });
      const { status, headers = {}, body: out = '' } = answer(path);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(out);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    connections: () => connections,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The path of a third party in Dolibarr's REST API. */
export const thirdPartyPath = (id: number) => `/api/index.php/thirdparties/${id}`;

/**
 * The sandbox's Dolibarr as a scenario needs it: third party 1 is answered; every other request is
 * redirected to the same path at `redirectTo` (a compromised or misconfigured sandbox pointing elsewhere).
 */
export function sandboxAnswers(redirectTo: string): (path: string) => Answer {
  return (path) =>
    path === thirdPartyPath(1)
      ? { status: 200, body: JSON.stringify({ id: '1', name: 'Sandbox customer' }) }
      : { status: 307, headers: { location: `${redirectTo}${path}` } };
}

/** Production's Dolibarr: answers everything as if it had done it. Any request at all is the failure. */
export const productionAnswers = (path: string): Answer => ({ status: 200, body: JSON.stringify({ id: path.split('/').pop(), name: 'Production customer' }) });
