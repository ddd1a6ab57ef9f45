import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertPlainName, qualified, quoteIdent, quoteLiteral } from './ident';

test('quoteIdent doubles embedded quotes and always quotes', () => {
  assert.equal(quoteIdent('llx_societe'), '"llx_societe"');
  assert.equal(quoteIdent('erp-sandbox'), '"erp-sandbox"');
  assert.equal(quoteIdent('a"b'), '"a""b"');
  assert.equal(qualified('public', 'x"; DROP TABLE t; --'), '"public"."x""; DROP TABLE t; --"');
});

test('quoteLiteral doubles single quotes and refuses NUL', () => {
  assert.equal(quoteLiteral("Café de l'Étoile"), "'Café de l''Étoile'");
  assert.throws(() => quoteLiteral('a\u0000b'), /NUL/);
});

test('assertPlainName accepts real names and rejects injection attempts with a clear message', () => {
  assert.equal(assertPlainName('database', 'erp-sandbox'), 'erp-sandbox');
  assert.equal(assertPlainName('role', 'erp_sandbox_role'), 'erp_sandbox_role');
  assert.throws(() => assertPlainName('table', 'llx_x; drop table y'), /table "llx_x; drop table y" is not a plain PostgreSQL name/);
  assert.throws(() => assertPlainName('table', ''), /not a plain/);
  assert.throws(() => assertPlainName('table', 'x'.repeat(64)), /at most 63/);
});
