import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Agent, MockAgent, request } from 'undici';
import { DolibarrClient } from './client';
import { DolibarrApiError } from './errors';
import { createGuardedDispatcher, HostGuardError, normalizeOrigin } from './host-guard';
import { API_KEY, assertKeyAbsent, loopbackServer, rejectionOf, SANDBOX } from './test-support';

describe('normalizeOrigin', () => {
  test('canonicalises scheme, host case and default ports', () => {
    assert.equal(normalizeOrigin('HTTP://LocalHost:80/some/path?q=1'), 'http://localhost');
    assert.equal(normalizeOrigin('https://127.0.0.1:443'), 'https://127.0.0.1');
    assert.equal(normalizeOrigin(new URL('http://127.0.0.1:8080/x')), 'http://127.0.0.1:8080');
  });

  test('refuses non-http schemes and non-URLs', () => {
    assert.throws(() => normalizeOrigin('ftp://127.0.0.1'), TypeError);
    assert.throws(() => normalizeOrigin('127.0.0.1:8080'), TypeError);
  });
});

describe('createGuardedDispatcher over a MockAgent', () => {
  function setup(): { mock: MockAgent; guarded: ReturnType<typeof createGuardedDispatcher> } {
    const mock = new MockAgent({ enableCallHistory: true });
    mock.disableNetConnect();
    mock.get(SANDBOX).intercept({ path: '/ok', method: 'GET' }).reply(200, 'sandbox');
    for (const other of ['http://127.0.0.1:8081', 'https://127.0.0.1:8080', 'http://localhost:8080', 'http://prod.example']) {
      mock.get(other).intercept({ path: /.*/, method: /.*/ }).reply(200, 'should never be served');
    }
    return { mock, guarded: createGuardedDispatcher(SANDBOX, mock) };
  }

  test('lets the sandbox origin through', async () => {
    const { mock, guarded } = setup();
    const res = await request(`${SANDBOX}/ok`, { dispatcher: guarded });
    assert.equal(await res.body.text(), 'sandbox');
    assert.equal(mock.getCallHistory()?.calls().length, 1);
  });

  for (const other of ['http://127.0.0.1:8081', 'https://127.0.0.1:8080', 'http://localhost:8080', 'http://prod.example']) {
    test(`refuses ${other} (port, scheme and host must match exactly) before the mock sees anything`, async () => {
      const { mock, guarded } = setup();
      const err = await rejectionOf(request(`${other}/api/index.php/invoices?DOLAPIKEY=${API_KEY}`, { dispatcher: guarded, method: 'POST', headers: { DOLAPIKEY: API_KEY }, body: '{}' }));
      assert.ok(err instanceof HostGuardError, String(err));
      assert.equal(err.refusedOrigin, normalizeOrigin(other));
      assert.equal(err.allowedOrigin, SANDBOX);
      assert.equal(err.path, '/api/index.php/invoices', 'query string dropped');
      assert.match(err.message, new RegExp(`to ${normalizeOrigin(other).replace(/[.:/]/g, '\\$&')}: only the sandbox origin http://127\\.0\\.0\\.1:8080`));
      assert.match(err.message, /Nothing was sent/);
      assert.equal(mock.getCallHistory()?.calls().length ?? 0, 0, 'no request reached the mock');
      assert.equal(mock.pendingInterceptors().filter((p) => p.origin === normalizeOrigin(other)).length, 1, 'the decoy interceptor is still unconsumed');
      assertKeyAbsent(err);
    });
  }

  test('refuses an absolute-form path naming another host', async () => {
    const { mock, guarded } = setup();
    const err = await rejectionOf(guarded.request({ origin: SANDBOX, path: 'http://prod.example/api/index.php/invoices', method: 'GET' }));
    assert.ok(err instanceof HostGuardError);
    assert.equal(err.refusedOrigin, 'http://prod.example');
    assert.equal(mock.getCallHistory()?.calls().length ?? 0, 0);
  });
});

describe('createGuardedDispatcher over a real Agent (loopback)', async () => {
  const sandbox = await loopbackServer((_req, res) => res.end('sandbox'));
  const elsewhere = await loopbackServer((_req, res) => res.end('elsewhere'));
  const agent = new Agent();
  after(async () => {
    await agent.close();
    await sandbox.close();
    await elsewhere.close();
  });

  test('a refused origin gets no TCP connection at all, the allowed one is served', async () => {
    const guarded = createGuardedDispatcher(sandbox.origin, agent);
    const err = await rejectionOf(request(`${elsewhere.origin}/x`, { dispatcher: guarded, headers: { DOLAPIKEY: API_KEY } }));
    assert.ok(err instanceof HostGuardError);
    assert.equal(elsewhere.connections(), 0);
    assert.equal(elsewhere.requests.length, 0);

    const res = await request(`${sandbox.origin}/x`, { dispatcher: guarded });
    assert.equal(await res.body.text(), 'sandbox');
    assert.equal(sandbox.requests.length, 1);
  });

  test('a client pointed at the wrong origin through a shared sandbox guard is refused, key-free', async () => {
    const client = new DolibarrClient({ baseUrl: elsewhere.origin, apiKey: API_KEY, dispatcher: createGuardedDispatcher(sandbox.origin, agent), retries: 2, retryDelayMs: 1 });
    const err = await rejectionOf(client.invoices.create({ socid: 1 }));
    assert.ok(err instanceof HostGuardError, String(err));
    assert.equal(err.refusedOrigin, elsewhere.origin);
    assert.equal(err.allowedOrigin, sandbox.origin);
    assert.equal(elsewhere.connections(), 0, 'the key never left the process');
    assertKeyAbsent(err);
  });

  test('a redirect is not followed: the client reports it and the target gets nothing', async () => {
    const redirecting = await loopbackServer((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.origin}/steal?DOLAPIKEY=${encodeURIComponent(API_KEY)}` });
      res.end();
    });
    try {
      const before = elsewhere.connections();
      const client = new DolibarrClient({ baseUrl: redirecting.origin, apiKey: API_KEY, retryDelayMs: 1 });
      const err = await rejectionOf(client.products.get(1));
      await client.close();
      assert.ok(err instanceof DolibarrApiError);
      assert.equal(err.status, 302);
      assert.match(err.message, /redirecting to http:\/\/127\.0\.0\.1:\d+\/steal\. .*Redirects are never followed/);
      assert.equal(elsewhere.connections(), before);
      assert.equal(redirecting.requests.length, 1, 'a 3xx is not retried');
      assertKeyAbsent(err);
    } finally {
      await redirecting.close();
    }
  });
});
