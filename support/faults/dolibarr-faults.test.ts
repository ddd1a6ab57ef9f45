import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DolibarrClient } from '../dolibarr/client';
import { DolibarrApiError, DolibarrConnectionError } from '../dolibarr/errors';
import { API_KEY, assertKeyAbsent, loopbackServer, rejectionOf } from '../dolibarr/test-support';

const TIMEOUT_MS = 300;
const RETRIES = 2;
const DELAY_MS = 50;
/** Upper bound on a read: every attempt may use its whole time bound, plus the backoffs, plus generous slack. */
const READ_BOUND_MS = (1 + RETRIES) * TIMEOUT_MS + (DELAY_MS + 2 * DELAY_MS) + 1500;

const unavailable = (res: import('node:http').ServerResponse) => {
  res.writeHead(503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 503, message: 'Service Unavailable: maintenance' } }));
};

describe('Dolibarr answering 5xx, then hanging', () => {
  test('a read is retried within bounds (503, then two hung attempts) and reported with what was found and what to do', async () => {
    let n = 0;
    const server = await loopbackServer((_req, res) => {
      if (++n === 1) unavailable(res); // then: read the request, never answer
    });
    const client = new DolibarrClient({ baseUrl: server.origin, apiKey: API_KEY, timeoutMs: TIMEOUT_MS, retries: RETRIES, retryDelayMs: DELAY_MS });
    try {
      const started = performance.now();
      const error = await rejectionOf(client.invoices.get(7));
      const elapsed = performance.now() - started;
      assert.ok(error instanceof DolibarrConnectionError, String(error));
      assert.equal(error.attempts, 1 + RETRIES);
      assert.equal(server.requests.length, 1 + RETRIES, 'exactly 1 + retries requests reached the server');
      assert.equal(error.timedOut, true);
      assert.ok(elapsed < READ_BOUND_MS, `gave up after ${Math.round(elapsed)} ms, bound ${READ_BOUND_MS} ms`);
      assert.match(
        error.message,
        new RegExp(`^Dolibarr GET /api/index\\.php/invoices/7: expected invoice 7 as a JSON object from ${server.origin}, found no complete answer within ${TIMEOUT_MS} ms \\(ERR_DOLIBARR_TIMEOUT\\)\\. Gave up after 3 attempts\\. Check that Dolibarr is up and reachable`),
      );
      assertKeyAbsent(error);
      process.stdout.write(`# Dolibarr 503 then hung: ${server.requests.length} attempts in ${Math.round(elapsed)} ms: ${error.message}\n`);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a read that keeps getting 5xx gives up after 1 + retries attempts with the status and Dolibarr\'s message', async () => {
    const server = await loopbackServer((_req, res) => unavailable(res));
    const client = new DolibarrClient({ baseUrl: server.origin, apiKey: API_KEY, timeoutMs: TIMEOUT_MS, retries: RETRIES, retryDelayMs: DELAY_MS });
    try {
      const error = await rejectionOf(client.products.get(3));
      assert.ok(error instanceof DolibarrApiError, String(error));
      assert.equal(error.status, 503);
      assert.equal(server.requests.length, 1 + RETRIES);
      assert.match(error.message, /found HTTP 503: "Service Unavailable: maintenance"\. Dolibarr failed server-side: read Dolibarr's log.*Gave up after 3 attempts\./);
      assertKeyAbsent(error);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a write answered 503 is not repeated (it may have acted), and the message says to check before repeating', async () => {
    let n = 0;
    const server = await loopbackServer((_req, res) => {
      if (++n === 1) unavailable(res);
    });
    const client = new DolibarrClient({ baseUrl: server.origin, apiKey: API_KEY, timeoutMs: TIMEOUT_MS, retries: RETRIES, retryDelayMs: DELAY_MS });
    try {
      const error = await rejectionOf(client.invoices.validate(7));
      assert.ok(error instanceof DolibarrApiError, String(error));
      assert.equal(server.requests.length, 1, 'a validate is sent once');
      assert.match(error.message, /HTTP 503.*Not retried \(1 attempt made\): a POST is retried only when it provably never reached Dolibarr/);
      // And a hung write: one attempt, bounded, flagged as possibly applied.
      const started = performance.now();
      const hung = await rejectionOf(client.thirdParties.delete(4));
      assert.ok(hung instanceof DolibarrConnectionError, String(hung));
      assert.equal(hung.mayHaveReachedServer, true);
      assert.equal(server.requests.length, 2);
      assert.ok(performance.now() - started < 3 * TIMEOUT_MS + 1000);
      assert.match(hung.message, /may have reached Dolibarr, so check whether it took effect before repeating it/);
      assertKeyAbsent(hung);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
