import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { DolibarrApiError, DolibarrConnectionError } from './errors';
import { API_KEY, assertKeyAbsent, mockDolibarr, rejectionOf } from './test-support';

const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };
const API = '/api/index.php';

describe('Dolibarr errors are surfaced with status, message and advice', () => {
  test('404 on GET: status, Dolibarr message, path, one attempt', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/thirdparties/999`, method: 'GET' }).reply(404, { error: { code: 404, message: 'Not Found: Thirdparty not found' } }, JSON_HEADERS);
    const err = await rejectionOf(m.client.thirdParties.get(999));
    assert.ok(err instanceof DolibarrApiError);
    assert.equal(err.status, 404);
    assert.equal(err.dolibarrMessage, 'Not Found: Thirdparty not found');
    assert.equal(err.method, 'GET');
    assert.equal(err.path, `${API}/thirdparties/999`);
    assert.equal(err.origin, 'http://127.0.0.1:8080');
    assert.equal(err.attempts, 1);
    assert.equal(m.calls().length, 1, '4xx is not retried, even for GET');
    assert.match(err.message, /expected third party 999 as a JSON object, found HTTP 404: "Not Found: Thirdparty not found"/);
    assert.match(err.message, /ids from before the last reset are gone/);
    assertKeyAbsent(err);
  });

  test('400 on addLine carries the validation message', async () => {
    const m = mockDolibarr();
    m.pool
      .intercept({ path: `${API}/invoices/31/lines`, method: 'POST' })
      .reply(400, { error: { code: 400, message: 'Bad Request: Unable to insert the new line. Check your inputs. ErrorBadValue' } }, JSON_HEADERS);
    const err = await rejectionOf(m.client.invoices.addLine(31, { desc: 'x', subprice: 1, qty: 1, tva_tx: 0 }));
    assert.ok(err instanceof DolibarrApiError);
    assert.equal(err.status, 400);
    assert.match(err.dolibarrMessage ?? '', /Unable to insert the new line/);
    assert.match(err.message, /rejected the request body/);
  });

  test('401 points at the key and its re-provisioning after a reset', async () => {
    const m = mockDolibarr();
    m.pool
      .intercept({ path: `${API}/products/1`, method: 'GET' })
      .reply(401, { error: { code: 401, message: 'Unauthorized: Error user not valid (not found with api key or bad status or bad validity dates) (conf->entity=1)' } }, JSON_HEADERS);
    const err = await rejectionOf(m.client.products.get(1));
    assert.ok(err instanceof DolibarrApiError);
    assert.equal(err.status, 401);
    assert.match(err.message, /DOLAPIKEY is the sandbox agent key/);
    assert.match(err.message, /re-provision the key after each reset/);
  });

  test('500 on validate: Dolibarr message kept, said to be unretried', async () => {
    const m = mockDolibarr();
    m.pool
      .intercept({ path: `${API}/invoices/31/validate`, method: 'POST' })
      .reply(500, { error: { code: 500, message: 'Internal Server Error: Error when validating Invoice: ErrorBadNumber' } }, JSON_HEADERS);
    const err = await rejectionOf(m.client.invoices.validate(31));
    assert.ok(err instanceof DolibarrApiError);
    assert.equal(err.status, 500);
    assert.equal(err.dolibarrMessage, 'Internal Server Error: Error when validating Invoice: ErrorBadNumber');
    assert.match(err.message, /Not retried \(1 attempt made\): a POST is retried only when it provably never reached Dolibarr/);
    assert.match(err.message, /read Dolibarr's log/);
  });

  test('a non-JSON error body falls back to its first 200 characters', async () => {
    const m = mockDolibarr({ retries: 0 });
    const page = `<html><body>${'Bad gateway '.repeat(40)}</body></html>`;
    m.pool.intercept({ path: `${API}/invoices/5`, method: 'GET' }).reply(502, page, { headers: { 'content-type': 'text/html' } });
    const err = await rejectionOf(m.client.invoices.get(5));
    assert.ok(err instanceof DolibarrApiError);
    assert.equal(err.status, 502);
    assert.equal(err.dolibarrMessage, `${page.slice(0, 200)}...`);
  });

  test('a 304 from validate says nothing was done', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/invoices/31/validate`, method: 'POST' }).reply(304, '');
    const err = await rejectionOf(m.client.invoices.validate(31));
    assert.ok(err instanceof DolibarrApiError);
    assert.equal(err.status, 304);
    assert.equal(err.dolibarrMessage, undefined);
    assert.match(err.message, /probably already validated/);
  });
});

describe('the API key never leaks', () => {
  test('a key echoed back by Dolibarr is redacted from message, dolibarrMessage and inspect output', async () => {
    const m = mockDolibarr();
    m.pool
      .intercept({ path: `${API}/products/1`, method: 'GET' })
      .reply(401, { error: { code: 401, message: `Unauthorized: unknown key ${API_KEY} (encoded ${encodeURIComponent(API_KEY)})` } }, JSON_HEADERS);
    const err = await rejectionOf(m.client.products.get(1));
    assert.ok(err instanceof DolibarrApiError);
    assert.match(err.dolibarrMessage ?? '', /unknown key \[REDACTED\] \(encoded \[REDACTED\]\)/);
    assertKeyAbsent(err);
  });

  test('a key echoed in a 2xx body that fails decoding is redacted too', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/products`, method: 'POST' }).reply(200, { echoed: API_KEY }, JSON_HEADERS);
    const err = await rejectionOf(m.client.products.create({ ref: 'R', label: 'L' }));
    assert.ok(err instanceof DolibarrApiError);
    assert.match(err.message, /\[REDACTED\]/);
    assertKeyAbsent(err);
  });

  test("an undici error quoting the request headers (MockAgent's no-match) is wrapped with the key redacted, cause included", async () => {
    const m = mockDolibarr();
    // Registered so path and method match; the header matcher then fails and undici's message lists our headers.
    m.pool.intercept({ path: `${API}/invoices/1`, method: 'GET', headers: { dolapikey: 'some-other-key' } }).reply(200, {});
    const err = await rejectionOf(m.client.invoices.get(1));
    assert.ok(err instanceof DolibarrConnectionError, inspect(err));
    assert.ok(err.cause instanceof Error);
    assert.match(err.cause.message, /Mock dispatch not matched for headers/);
    assert.match(err.cause.message, /\[REDACTED\]/, 'the raw undici message did carry the key');
    assert.equal(m.calls().length, 1, 'an unrecognised failure is not retried');
    assertKeyAbsent(err);
  });

  test('the client itself does not show the key when inspected or serialised', () => {
    const m = mockDolibarr();
    for (const text of [inspect(m.client, { showHidden: true, depth: 10 }), JSON.stringify(m.client), String(m.client)]) {
      assert.ok(!text.includes(API_KEY), text);
    }
    assert.match(inspect(m.client), /DolibarrClient \{ origin: 'http:\/\/127\.0\.0\.1:8080'/);
  });
});
