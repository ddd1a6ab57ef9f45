import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostGuardError } from '../dolibarr';
import { callThroughSandboxTransport, fetchThirdParty, renderingsShowing } from './key-routes';
import { productionAnswers, sandboxAnswers, startStandInDolibarr, type StandInDolibarr } from './loopback-dolibarr';

const KEY = 'test-key/with+plus=and"quote';

describe('routes by which the agent key could reach production', () => {
  let prod: StandInDolibarr;
  let sandbox: StandInDolibarr;

  before(async () => {
    prod = await startStandInDolibarr(KEY, productionAnswers);
    sandbox = await startStandInDolibarr(KEY, sandboxAnswers(prod.origin));
  });
  after(async () => {
    await sandbox?.stop();
    await prod?.stop();
  });

  test('the stand-in sandbox answers third party 1 and records that the key came with it', async () => {
    assert.deepEqual(await fetchThirdParty(sandbox.origin, KEY, 1), { answered: true, status: 200 });
    assert.deepEqual(sandbox.received.at(-1), { method: 'GET', path: '/api/index.php/thirdparties/1', carriedKey: true });
  });

  test('a call addressed to production through the sandbox transport is refused by the host guard, unsent', async () => {
    const outcome = await callThroughSandboxTransport(sandbox.origin, prod.origin, KEY, 2);
    assert.ok(!outcome.answered && outcome.error instanceof HostGuardError, String(!outcome.answered && outcome.error));
    assert.deepEqual(renderingsShowing(outcome.error, KEY), []);
    assert.equal(prod.connections(), 0);
  });

  test('the same transport reaches the sandbox itself (the refusal is about the origin)', async () => {
    assert.deepEqual(await callThroughSandboxTransport(sandbox.origin, sandbox.origin, KEY, 1), { answered: true, status: 200 });
  });

  test('a redirect from the sandbox to production is reported, not followed', async () => {
    const outcome = await fetchThirdParty(sandbox.origin, KEY, 2);
    assert.ok(!outcome.answered && /Redirects are never followed/.test(outcome.error.message));
    assert.deepEqual(prod.received, []);
    assert.equal(prod.connections(), 0);
  });

  test('renderingsShowing names every rendering that leaks a secret, raw, URL-encoded or JSON-escaped', () => {
    assert.deepEqual(renderingsShowing(new Error(`GET /x?k=${encodeURIComponent(KEY)}`), KEY), ['String()', 'message', 'stack', 'util.inspect']);
    assert.deepEqual(renderingsShowing(Object.assign(new Error('plain'), { header: KEY }), KEY), ['util.inspect', 'JSON.stringify']);
    assert.deepEqual(renderingsShowing(undefined, KEY), []);
  });
});
