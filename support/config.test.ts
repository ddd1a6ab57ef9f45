import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, SETTINGS } from './config';

test('defaults describe the production layout', () => {
  const config = loadConfig({});
  assert.equal(config.backend, 'auto');
  assert.equal(config.sandboxDatabase, 'erp-sandbox');
  assert.equal(config.sandboxOwner, 'erp_sandbox_role');
  assert.equal(config.prodDatabase, 'erp');
  assert.equal(config.fixtureScale, 'small');
  assert.equal(config.golden.path, undefined);
});

test('live without its settings lists every missing one at once, without the password', () => {
  assert.throws(() => loadConfig({ BDD_BACKEND: 'live', BDD_PGPASSWORD: 'hunter2-very-secret' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /BDD_PGHOST/);
    assert.match(error.message, /BDD_PGUSER/);
    assert.match(error.message, /BDD_GOLDEN/);
    assert.match(error.message, /BDD_SERVER_ID/);
    assert.doesNotMatch(error.message, /hunter2/);
    return true;
  });
});

test('bad values are named with what is expected', () => {
  assert.throws(() => loadConfig({ BDD_FIXTURE_SCALE: 'huge', BDD_CONNECT_TIMEOUT_MS: 'soon', BDD_SANDBOX_DB: 'x"; drop' }), (error: unknown) => {
    const message = (error as Error).message;
    assert.match(message, /BDD_FIXTURE_SCALE="huge" is not one of small, large/);
    assert.match(message, /BDD_CONNECT_TIMEOUT_MS="soon" must be a whole number/);
    assert.match(message, /BDD_SANDBOX_DB "x\\"; drop" is not a plain PostgreSQL name/);
    return true;
  });
});

test('the profile and the environment may not contradict each other', () => {
  assert.throws(() => loadConfig({ BDD_BACKEND: 'local' }, { backend: 'live' }), /contradicts the cucumber profile/);
  assert.equal(loadConfig({}, { backend: 'local' }).backend, 'local');
});

test('the sandbox may not be production', () => {
  assert.throws(() => loadConfig({ BDD_SANDBOX_DB: 'erp' }), /must be a database other than production/);
});

test('the README documents every setting', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  for (const name of Object.keys(SETTINGS)) assert.match(readme, new RegExp(`\\| \`${name}\` \\|`), `${name} missing from README`);
});
