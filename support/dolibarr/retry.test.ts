import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Agent, errors as undiciErrors } from 'undici';
import { DolibarrClient } from './client';
import { DolibarrApiError, DolibarrConnectionError } from './errors';
import { HostGuardError } from './host-guard';
import { backoffMs, classifyFailure, mayRetryFailure, mayRetryStatus } from './retry-policy';
import { API_KEY, assertKeyAbsent, closedPort, countDispatches, loopbackServer, mockDolibarr, rejectionOf } from './test-support';

const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };
const API = '/api/index.php';
const sysErr = (code: string, syscall?: string): Error => Object.assign(new Error(`${syscall ?? 'x'} ${code}`), { code, syscall });

describe('retry policy', () => {
  test('connect-phase failures are proven unsent', () => {
    for (const err of [sysErr('ECONNREFUSED', 'connect'), sysErr('ENOTFOUND', 'getaddrinfo'), sysErr('EAI_AGAIN', 'getaddrinfo'), new undiciErrors.ConnectTimeoutError(), sysErr('EHOSTUNREACH', 'connect')]) {
      assert.equal(classifyFailure(err).phase, 'not-sent', String(err));
    }
    assert.equal(classifyFailure(new AggregateError([sysErr('ECONNREFUSED', 'connect'), sysErr('ECONNREFUSED', 'connect')])).phase, 'not-sent');
  });

  test('failures after a connection existed may have been sent', () => {
    for (const err of [sysErr('ECONNRESET', 'read'), sysErr('EPIPE', 'write'), sysErr('ETIMEDOUT', 'read'), sysErr('EHOSTUNREACH'), new undiciErrors.HeadersTimeoutError(), new undiciErrors.BodyTimeoutError(), new undiciErrors.SocketError('other side closed')]) {
      assert.equal(classifyFailure(err).phase, 'maybe-sent', String(err));
    }
    assert.equal(classifyFailure(new AggregateError([sysErr('ECONNREFUSED', 'connect'), sysErr('ECONNRESET', 'read')])).phase, 'maybe-sent');
  });

  test('guard refusals, bad arguments and unknown errors are fatal', () => {
    for (const err of [new HostGuardError('http://a', 'http://b', 'GET', '/'), new undiciErrors.InvalidArgumentError('x'), new Error('boom'), 'string']) {
      assert.equal(classifyFailure(err).phase, 'fatal', String(err));
    }
  });

  test('writes retry only unsent failures; reads retry any network failure and 5xx', () => {
    const notSent = classifyFailure(sysErr('ECONNREFUSED', 'connect'));
    const maybe = classifyFailure(new undiciErrors.HeadersTimeoutError());
    for (const method of ['POST', 'PUT', 'DELETE']) {
      assert.equal(mayRetryFailure(method, notSent), true, method);
      assert.equal(mayRetryFailure(method, maybe), false, method);
      assert.equal(mayRetryStatus(method, 503), false, method);
    }
    assert.equal(mayRetryFailure('GET', maybe), true);
    assert.equal(mayRetryStatus('GET', 503), true);
    assert.equal(mayRetryStatus('GET', 500), true);
    assert.equal(mayRetryStatus('GET', 404), false);
    assert.equal(mayRetryStatus('GET', 429), false);
    assert.deepEqual([1, 2, 3].map((n) => backoffMs(n, 100)), [100, 200, 400]);
  });
});

describe('retries against a mocked Dolibarr', () => {
  test('GET is retried on 503 and then succeeds', async () => {
    const m = mockDolibarr({ retries: 2 });
    m.pool.intercept({ path: `${API}/invoices/3`, method: 'GET' }).reply(503, { error: { code: 503, message: 'Service Unavailable' } }, JSON_HEADERS).times(2);
    m.pool.intercept({ path: `${API}/invoices/3`, method: 'GET' }).reply(200, { id: '3', ref: '(PROV3)' }, JSON_HEADERS);
    assert.equal((await m.client.invoices.get(3)).ref, '(PROV3)');
    assert.equal(m.calls().length, 3);
  });

  test('GET gives up after 1 + retries attempts and says so', async () => {
    const m = mockDolibarr({ retries: 2 });
    m.pool.intercept({ path: `${API}/invoices/3`, method: 'GET' }).reply(503, { error: { code: 503, message: 'Error when retrieve invoice' } }, JSON_HEADERS).times(5);
    const err = await rejectionOf(m.client.invoices.get(3));
    assert.ok(err instanceof DolibarrApiError);
    assert.equal(err.attempts, 3);
    assert.equal(m.calls().length, 3);
    assert.match(err.message, /Gave up after 3 attempts/);
  });

  for (const [method, call] of [
    ['POST', (c: DolibarrClient) => c.invoices.create({ socid: 1 })],
    ['POST', (c: DolibarrClient) => c.invoices.validate(3)],
    ['PUT', (c: DolibarrClient) => c.products.update(3, { price: 1 })],
    ['DELETE', (c: DolibarrClient) => c.thirdParties.delete(3)],
  ] as const) {
    test(`${method} is sent exactly once on a 5xx (${call.toString().replace(/^.*=> c\./, '')})`, async () => {
      const m = mockDolibarr({ retries: 2 });
      m.pool.intercept({ path: /.*/, method }).reply(500, { error: { code: 500, message: 'Internal Server Error' } }, JSON_HEADERS).times(5);
      const err = await rejectionOf(call(m.client));
      assert.ok(err instanceof DolibarrApiError);
      assert.equal(err.status, 500);
      assert.equal(err.attempts, 1);
      assert.equal(m.calls().length, 1);
    });
  }

  test('POST is retried on a connect timeout (never connected, so never sent)', async () => {
    const m = mockDolibarr({ retries: 2 });
    m.pool.intercept({ path: `${API}/invoices`, method: 'POST' }).replyWithError(new undiciErrors.ConnectTimeoutError());
    m.pool.intercept({ path: `${API}/invoices`, method: 'POST' }).reply(200, '8', JSON_HEADERS);
    assert.equal(await m.client.invoices.create({ socid: 1 }), 8);
    assert.equal(m.calls().length, 2);
  });

  test('POST is not retried on a socket error after dispatch', async () => {
    const m = mockDolibarr({ retries: 2 });
    m.pool.intercept({ path: `${API}/invoices/3/validate`, method: 'POST' }).replyWithError(new undiciErrors.SocketError('other side closed')).times(3);
    const err = await rejectionOf(m.client.invoices.validate(3));
    assert.ok(err instanceof DolibarrConnectionError);
    assert.equal(err.mayHaveReachedServer, true);
    assert.equal(m.calls().length, 1);
    assert.match(err.message, /may have reached Dolibarr, so check whether it took effect/);
  });
});

describe('retries and timeouts against real loopback sockets', () => {
  test('POST is retried on connection refused and reaches the server once it listens', async () => {
    const port = await closedPort();
    const counter = countDispatches();
    const agent = new Agent().compose(counter.interceptor);
    const client = new DolibarrClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY, dispatcher: agent, retries: 2, retryDelayMs: 400 });
    const pending = client.invoices.create({ socid: 5 });
    await new Promise((r) => setTimeout(r, 100)); // the first attempt has been refused by now
    const server = await loopbackServer((_req, res) => res.end('21'), port);
    try {
      assert.equal(await pending, 21);
      assert.equal(counter.count(), 2, 'one refused attempt, one served');
      assert.equal(server.requests.length, 1, 'the create reached Dolibarr exactly once');
      assert.deepEqual(JSON.parse(server.requests[0].body), { socid: 5 });
    } finally {
      await agent.close();
      await server.close();
    }
  });

  test('POST to a port nobody listens on fails after 1 + retries attempts, marked unsent and key-free', async () => {
    const port = await closedPort();
    const client = new DolibarrClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY, retries: 2, retryDelayMs: 1 });
    const err = await rejectionOf(client.invoices.create({ socid: 5 }));
    await client.close();
    assert.ok(err instanceof DolibarrConnectionError, String(err));
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.attempts, 3);
    assert.equal(err.mayHaveReachedServer, false);
    assert.match(err.message, new RegExp(`from http://127\\.0\\.0\\.1:${port}, found .*ECONNREFUSED.*Gave up after 3 attempts; none reached Dolibarr`));
    assertKeyAbsent(err);
  });

  test('a POST reset by the server after sending is not retried', async () => {
    const server = await loopbackServer((req) => req.socket.destroy());
    const client = new DolibarrClient({ baseUrl: server.origin, apiKey: API_KEY, retries: 2, retryDelayMs: 1 });
    try {
      const err = await rejectionOf(client.invoices.validate(3));
      assert.ok(err instanceof DolibarrConnectionError, String(err));
      assert.equal(err.mayHaveReachedServer, true);
      assert.equal(server.requests.length, 1);
      assertKeyAbsent(err);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a GET reset by the server is retried', async () => {
    const server = await loopbackServer((req) => req.socket.destroy());
    const client = new DolibarrClient({ baseUrl: server.origin, apiKey: API_KEY, retries: 2, retryDelayMs: 1 });
    try {
      const err = await rejectionOf(client.invoices.get(3));
      assert.ok(err instanceof DolibarrConnectionError);
      assert.equal(err.attempts, 3);
      assert.equal(server.requests.length, 3);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a hung server fails a POST within the bound, once', async () => {
    const server = await loopbackServer(() => undefined); // reads the request, never answers
    const client = new DolibarrClient({ baseUrl: server.origin, apiKey: API_KEY, timeoutMs: 300, retries: 2, retryDelayMs: 1 });
    try {
      const started = performance.now();
      const err = await rejectionOf(client.invoices.create({ socid: 1 }));
      const elapsed = performance.now() - started;
      assert.ok(err instanceof DolibarrConnectionError, String(err));
      assert.equal(err.timedOut, true);
      assert.equal(err.code, 'ERR_DOLIBARR_TIMEOUT');
      assert.ok(elapsed >= 280 && elapsed < 900, `took ${elapsed} ms for a 300 ms bound`);
      assert.equal(server.requests.length, 1, 'a timed-out write is not retried');
      assert.match(err.message, /no complete answer within 300 ms/);
      assertKeyAbsent(err);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a server that stalls mid-body also times out', async () => {
    const server = await loopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"id":');
    });
    const client = new DolibarrClient({ baseUrl: server.origin, apiKey: API_KEY, timeoutMs: 300, retries: 0 });
    try {
      const started = performance.now();
      const err = await rejectionOf(client.products.get(1));
      assert.ok(err instanceof DolibarrConnectionError, String(err));
      assert.equal(err.timedOut, true);
      assert.ok(performance.now() - started < 900);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a hung server fails a GET after 1 + retries bounded attempts', async () => {
    const server = await loopbackServer(() => undefined);
    const client = new DolibarrClient({ baseUrl: server.origin, apiKey: API_KEY, timeoutMs: 200, retries: 1, retryDelayMs: 10 });
    try {
      const started = performance.now();
      const err = await rejectionOf(client.invoices.get(1));
      const elapsed = performance.now() - started;
      assert.ok(err instanceof DolibarrConnectionError);
      assert.equal(err.attempts, 2);
      assert.equal(server.requests.length, 2);
      assert.ok(elapsed < 2 * 200 + 10 + 500, `took ${elapsed} ms`);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
