import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact, redactedError, registerSecret } from './redact';

test('redact masks the password of a DSN and keyword pairs', () => {
  assert.equal(redact('postgres://erp_sandbox_user:s3cr3t-pw@127.0.0.1:5432/erp-sandbox'),
    'postgres://erp_sandbox_user:***@127.0.0.1:5432/erp-sandbox');
  assert.equal(redact('host=h password=abc123 user=u'), 'host=h password=*** user=u');
  assert.equal(redact('DOLAPIKEY: abcdef'), 'DOLAPIKEY: ***');
});

test('redact masks registered secrets wherever they appear', () => {
  registerSecret('very-secret-value-42');
  assert.equal(redact('FATAL: role "very-secret-value-42" does not exist'), 'FATAL: role "***" does not exist');
  const error = redactedError(new Error('boom very-secret-value-42'), 'connecting');
  assert.equal(error.message, 'connecting: boom ***');
});
