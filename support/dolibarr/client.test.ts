import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DolibarrClient } from './client';
import { DolibarrApiError } from './errors';
import { API_KEY, mockDolibarr, rejectionOf, SANDBOX } from './test-support';

const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };
const API = '/api/index.php';

/** Asserts the single recorded call and the headers every call must carry. */
function assertOnlyCall(calls: ReturnType<ReturnType<typeof mockDolibarr>['calls']>, method: string, path: string, body?: unknown): void {
  assert.equal(calls.length, 1, `expected exactly one request, saw ${calls.length}`);
  const [call] = calls;
  assert.equal(call.method, method);
  assert.equal(call.path, path);
  assert.equal(call.headers.dolapikey, API_KEY);
  assert.equal(call.headers.accept, 'application/json');
  if (body === undefined) {
    assert.ok(call.body === null || call.body === undefined, `expected no body, got ${JSON.stringify(call.body)}`);
    assert.equal(call.headers['content-type'], undefined);
  } else {
    assert.deepEqual(call.body, body);
    assert.equal(call.headers['content-type'], 'application/json');
  }
}

describe('DolibarrClient: third parties', () => {
  test('create POSTs the fields and returns the bare JSON id', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/thirdparties`, method: 'POST' }).reply(200, '42', JSON_HEADERS);
    const input = { name: 'ACME sandbox', client: 1 as const, fournisseur: 0 as const, country_id: 1, email: 'a@example.test', address: '1 rue', zip: '75001', town: 'Paris' };
    assert.equal(await m.client.thirdParties.create(input), 42);
    assertOnlyCall(m.calls(), 'POST', `${API}/thirdparties`, input);
  });

  test('get, update (PUT) and delete use /thirdparties/{id}', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/thirdparties/42`, method: 'GET' }).reply(200, { id: '42', name: 'ACME sandbox' }, JSON_HEADERS);
    assert.deepEqual(await m.client.thirdParties.get(42), { id: '42', name: 'ACME sandbox' });
    assertOnlyCall(m.calls(), 'GET', `${API}/thirdparties/42`);

    const u = mockDolibarr();
    u.pool.intercept({ path: `${API}/thirdparties/42`, method: 'PUT' }).reply(200, { id: '42', name: 'ACME renamed' }, JSON_HEADERS);
    assert.equal((await u.client.thirdParties.update(42, { name: 'ACME renamed' })).name, 'ACME renamed');
    assertOnlyCall(u.calls(), 'PUT', `${API}/thirdparties/42`, { name: 'ACME renamed' });

    const d = mockDolibarr();
    d.pool.intercept({ path: `${API}/thirdparties/42`, method: 'DELETE' }).reply(200, '1', JSON_HEADERS);
    await d.client.thirdParties.delete(42);
    assertOnlyCall(d.calls(), 'DELETE', `${API}/thirdparties/42`);
  });

  test('delete accepts the newer {"success":...} answer', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/thirdparties/7`, method: 'DELETE' }).reply(200, { success: { code: 200, message: 'Object deleted' } }, JSON_HEADERS);
    await m.client.thirdParties.delete(7);
  });

  test("delete answering HTTP 200 with PHP's -1 is a failure, not a success", async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/thirdparties/7`, method: 'DELETE' }).reply(200, '-1', JSON_HEADERS);
    const err = await rejectionOf(m.client.thirdParties.delete(7));
    assert.ok(err instanceof DolibarrApiError);
    assert.equal(err.status, 200);
    assert.match(err.message, /expected confirmation that third party 7 was deleted, found HTTP 200 with -1/);
  });

  test('update answering false (nothing saved) is a failure', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/thirdparties/42`, method: 'PUT' }).reply(200, 'false', JSON_HEADERS);
    const err = await rejectionOf(m.client.thirdParties.update(42, { town: 'Lyon' }));
    assert.ok(err instanceof DolibarrApiError);
    assert.match(err.message, /found HTTP 200 with false/);
  });
});

describe('DolibarrClient: products', () => {
  test('create POSTs ref/label/price fields and returns the id', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/products`, method: 'POST' }).reply(200, '9', JSON_HEADERS);
    const input = { ref: 'SBX-001', label: 'Widget', price: 10, price_base_type: 'HT' as const, tva_tx: 20, type: 0 as const, status: 1 as const, status_buy: 1 as const };
    assert.equal(await m.client.products.create(input), 9);
    assertOnlyCall(m.calls(), 'POST', `${API}/products`, input);
  });

  test('get, update (price change) and delete use /products/{id}', async () => {
    const g = mockDolibarr();
    g.pool.intercept({ path: `${API}/products/9`, method: 'GET' }).reply(200, { id: 9, ref: 'SBX-001', label: 'Widget', price: '10.00000000' }, JSON_HEADERS);
    assert.equal((await g.client.products.get(9)).price, '10.00000000');
    assertOnlyCall(g.calls(), 'GET', `${API}/products/9`);

    const u = mockDolibarr();
    u.pool.intercept({ path: `${API}/products/9`, method: 'PUT' }).reply(200, { id: 9, ref: 'SBX-001', label: 'Widget', price: '12.50000000' }, JSON_HEADERS);
    assert.equal((await u.client.products.update(9, { price: 12.5, price_base_type: 'HT' })).price, '12.50000000');
    assertOnlyCall(u.calls(), 'PUT', `${API}/products/9`, { price: 12.5, price_base_type: 'HT' });

    const d = mockDolibarr();
    d.pool.intercept({ path: `${API}/products/9`, method: 'DELETE' }).reply(200, '1', JSON_HEADERS);
    await d.client.products.delete(9);
    assertOnlyCall(d.calls(), 'DELETE', `${API}/products/9`);
  });
});

describe('DolibarrClient: invoices', () => {
  test('create POSTs socid/type/date/lines and returns the id', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/invoices`, method: 'POST' }).reply(200, '31', JSON_HEADERS);
    const input = { socid: 42, type: 0 as const, date: 1735689600, lines: [{ desc: 'Widget', subprice: 10, qty: 2, tva_tx: 20, fk_product: 9, product_type: 0 as const }] };
    assert.equal(await m.client.invoices.create(input), 31);
    assertOnlyCall(m.calls(), 'POST', `${API}/invoices`, input);
  });

  test('addLine POSTs to /invoices/{id}/lines and returns the line id', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/invoices/31/lines`, method: 'POST' }).reply(200, '77', JSON_HEADERS);
    const line = { desc: 'Service', subprice: 50, qty: 1, tva_tx: 20, fk_product: 9, product_type: 1 as const };
    assert.equal(await m.client.invoices.addLine(31, line), 77);
    assertOnlyCall(m.calls(), 'POST', `${API}/invoices/31/lines`, line);
  });

  test('validate POSTs {"idwarehouse":0,"notrigger":0} and returns the validated invoice', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/invoices/31/validate`, method: 'POST' }).reply(200, { id: '31', ref: 'FA2501-0001', status: '1' }, JSON_HEADERS);
    const invoice = await m.client.invoices.validate(31);
    assert.equal(invoice.ref, 'FA2501-0001');
    assertOnlyCall(m.calls(), 'POST', `${API}/invoices/31/validate`, { idwarehouse: 0, notrigger: 0 });
    assert.equal(m.calls()[0].headers['content-type'], 'application/json');
  });

  test('validate passes an explicit warehouse and notrigger', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/invoices/31/validate`, method: 'POST' }).reply(200, { id: '31', ref: 'FA2501-0001' }, JSON_HEADERS);
    await m.client.invoices.validate(31, { idwarehouse: 3, notrigger: 1 });
    assert.deepEqual(m.calls()[0].body, { idwarehouse: 3, notrigger: 1 });
  });

  test('get reads /invoices/{id}', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/invoices/31`, method: 'GET' }).reply(200, { id: '31', ref: '(PROV31)', lines: [] }, JSON_HEADERS);
    assert.equal((await m.client.invoices.get(31)).ref, '(PROV31)');
    assertOnlyCall(m.calls(), 'GET', `${API}/invoices/31`);
  });
});

describe('DolibarrClient: answers and configuration', () => {
  test('a create answering anything but a bare positive number is an error naming what came back', async () => {
    for (const body of ['{"id":5}', '0', '"abc"', '']) {
      const m = mockDolibarr();
      m.pool.intercept({ path: `${API}/invoices`, method: 'POST' }).reply(200, body, JSON_HEADERS);
      const err = await rejectionOf(m.client.invoices.create({ socid: 1 }));
      assert.ok(err instanceof DolibarrApiError, `body ${body}`);
      assert.match(err.message, /expected the new invoice id as a bare JSON number, found HTTP 200 with /);
      assert.equal(m.calls().length, 1, 'a 2xx answer is never retried');
    }
  });

  test('a numeric-string id is accepted', async () => {
    const m = mockDolibarr();
    m.pool.intercept({ path: `${API}/products`, method: 'POST' }).reply(200, '"12"', JSON_HEADERS);
    assert.equal(await m.client.products.create({ ref: 'R', label: 'L' }), 12);
  });

  test('baseUrl with a path prefix puts the API below it', async () => {
    const m = mockDolibarr({ baseUrl: `${SANDBOX}/dolibarr/` });
    m.pool.intercept({ path: '/dolibarr/api/index.php/products/3', method: 'GET' }).reply(200, { id: 3, ref: 'R', label: 'L' }, JSON_HEADERS);
    await m.client.products.get(3);
    assert.equal(m.client.apiBasePath, '/dolibarr/api/index.php');
    assert.equal(m.calls()[0].path, '/dolibarr/api/index.php/products/3');
  });

  test('ids must be positive integers (no path bending)', async () => {
    const m = mockDolibarr();
    await assert.rejects(m.client.invoices.get(Number.NaN), TypeError);
    await assert.rejects(m.client.products.get(-1), TypeError);
    await assert.rejects(m.client.thirdParties.update(1.5, {}), TypeError);
    assert.equal(m.calls().length, 0);
  });

  test('constructor rejects unusable configuration', () => {
    assert.throws(() => new DolibarrClient({ baseUrl: 'ftp://127.0.0.1', apiKey: API_KEY }), TypeError);
    assert.throws(() => new DolibarrClient({ baseUrl: 'not a url', apiKey: API_KEY }), TypeError);
    assert.throws(() => new DolibarrClient({ baseUrl: `http://admin:pw@127.0.0.1:8080`, apiKey: API_KEY }), /credentials/);
    assert.throws(() => new DolibarrClient({ baseUrl: `${SANDBOX}?DOLAPIKEY=x`, apiKey: API_KEY }), /query/);
    assert.throws(() => new DolibarrClient({ baseUrl: SANDBOX, apiKey: ' ' }), /apiKey/);
    assert.throws(() => new DolibarrClient({ baseUrl: SANDBOX, apiKey: API_KEY, timeoutMs: 0 }), RangeError);
    assert.throws(() => new DolibarrClient({ baseUrl: SANDBOX, apiKey: API_KEY, retries: -1 }), RangeError);
  });
});
