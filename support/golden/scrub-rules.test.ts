import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkScrubRules, DEFAULT_SCRUB_RULES, ruleName, scrubSql, type ScrubRule } from './scrub-rules';

test('the default rules cover the users\' keys and passwords and the secret settings, and never delete a row', () => {
  const names = DEFAULT_SCRUB_RULES.map(ruleName);
  for (const column of ['api_key', 'pass', 'pass_crypted', 'pass_temp']) {
    assert.ok(DEFAULT_SCRUB_RULES.some((r) => r.table === 'llx_user' && r.column === column && r.replacement === null), `llx_user.${column}`);
  }
  const consts = DEFAULT_SCRUB_RULES.find((r) => r.table === 'llx_const');
  assert.equal(consts?.replacement, '', 'llx_const.value is NOT NULL: blanked, not nulled');
  const secret = new RegExp(consts!.where!.matches, 'i');
  const moduleSwitch = new RegExp(consts!.where!.unless!, 'i');
  const blanked = (name: string) => secret.test(name) && !moduleSwitch.test(name);
  for (const name of ['MAIN_MAIL_SMTPS_PW', 'STRIPE_LIVE_SECRET_KEY', 'OAUTH_GOOGLE_SECRET', 'CRON_KEY', 'PAYMENT_SECURITY_TOKEN', 'MAIN_SECURITY_SALT', 'LDAP_ADMIN_PASS']) {
    assert.ok(blanked(name), name);
  }
  for (const name of ['MAIN_INFO_SOCIETE_NOM', 'MAIN_MAIL_SMTPS_ID', 'OAUTH_GOOGLE_ID', 'MAIN_MODULE_STRIPE', 'MAIN_MODULE_API', 'MAIN_MONNAIE']) {
    assert.ok(!blanked(name), name);
  }
  assert.equal(new Set(names).size, names.length, 'rule names are unique');
  assert.ok(Object.isFrozen(DEFAULT_SCRUB_RULES) && Object.isFrozen(DEFAULT_SCRUB_RULES[0]));
  const sql = scrubSql(DEFAULT_SCRUB_RULES, 'public');
  assert.doesNotMatch(sql, /\bDELETE\b|\bTRUNCATE\b|\bDROP\b/i);
});

test('names and values reach the SQL only as quoted literals, formatted with %I inside the DO block', () => {
  const rules: ScrubRule[] = [{ name: "it's", table: 'llx_"odd', column: "pa'ss", where: { column: 'name', matches: "O'K" }, replacement: "x'y" }];
  const sql = scrubSql(rules, 'my "schema"', { schema: 'report "s"', table: 'counts' });
  assert.match(sql, /\(1, 'it''s', 'llx_"odd', 'pa''ss', 'name', 'O''K', NULL, 'x''y'\)/);
  assert.match(sql, /v_schema text := 'my "schema"';/);
  assert.match(sql, /CREATE SCHEMA "report ""s""";/);
  assert.match(sql, /format\('UPDATE %I\.%I SET %I = %L WHERE %s'/);
  assert.match(sql, /NOT FOUND/, 'a missing table or column is skipped');
});

test('a rule list that cannot be applied as meant is refused, naming every problem', () => {
  assert.throws(() => checkScrubRules([]), /the list is empty/);
  assert.throws(
    () =>
      checkScrubRules([
        { table: 'llx_user', column: 'api_key', replacement: null },
        { table: 'llx_user', column: 'api_key', replacement: null },
        { table: '', column: 'x', replacement: 3 as unknown as string },
        { table: 't', column: 'c', where: { column: 'n', matches: '' }, replacement: null },
        { table: 't', column: '$scrub$', replacement: null },
      ]),
    (error: Error) => {
      assert.match(error.message, /rule 2 \("llx_user\.api_key"\): another rule has the same name/);
      assert.match(error.message, /rule 3 \("\.x"\): table must be a non-empty text/);
      assert.match(error.message, /rule 3 .*replacement must be null or a text, found 3/);
      assert.match(error.message, /rule 4 .*where\.matches must be a non-empty text/);
      assert.match(error.message, /rule 5 .*contains a NUL byte or \$scrub\$/);
      assert.match(error.message, /DEFAULT_SCRUB_RULES/);
      return true;
    },
  );
});
