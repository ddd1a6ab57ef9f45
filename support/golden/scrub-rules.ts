import type { ClientBase } from 'pg';
import { qualified, quoteIdent, quoteLiteral } from '../db/ident';

/**
 * One kind of production secret: the values of `column` in the application table `table` (optionally only
 * in the rows whose `where.column` matches a pattern) are replaced by `replacement`. A rule blanks values;
 * it never deletes a row, so every foreign key into the table still holds.
 */
export interface ScrubRule {
  /** How the manifest and messages name the rule; defaults to "table.column". Unique within a list. */
  name?: string;
  table: string;
  column: string;
  /**
   * Only rows whose `column` matches the POSIX regular expression `matches` (case-insensitive) and, when
   * given, does not match `unless`. Without `where`, every row.
   */
  where?: { column: string; matches: string; unless?: string };
  /** The value left in place of the secret: null, or a text (e.g. '' for a NOT NULL column). */
  replacement: string | null;
}

/** Dolibarr's `llx_const` names that hold passwords, keys, secrets, tokens or salts (SMTP, payment, OAuth, cron...). */
export const SECRET_CONST_NAMES = '(PASS|PW|PWD|KEY|SECRET|TOKEN|SALT)';

/**
 * What the golden must never carry from production, in Dolibarr's tables. Rules whose table or column a
 * golden does not have are skipped (and recorded as skipped), so the list may name optional modules.
 */
export const DEFAULT_SCRUB_RULES: readonly ScrubRule[] = Object.freeze([
  { name: "users' API keys", table: 'llx_user', column: 'api_key', replacement: null },
  { name: "users' clear passwords", table: 'llx_user', column: 'pass', replacement: null },
  { name: "users' password hashes", table: 'llx_user', column: 'pass_crypted', replacement: null },
  { name: "users' temporary passwords", table: 'llx_user', column: 'pass_temp', replacement: null },
  {
    name: 'settings holding a password, key, secret, token or salt',
    table: 'llx_const',
    column: 'value',
    // Module switches (MAIN_MODULE_*) hold "1", never a secret: blanking one would turn the module off.
    where: { column: 'name', matches: SECRET_CONST_NAMES, unless: '^MAIN_MODULE_' },
    // llx_const.value is NOT NULL.
    replacement: '',
  },
  { name: "third parties' web services keys", table: 'llx_societe', column: 'webservices_key', replacement: null },
  { name: "third parties' portal password hashes", table: 'llx_societe_account', column: 'pass_crypted', replacement: null },
  { name: "third parties' portal temporary passwords", table: 'llx_societe_account', column: 'pass_temp', replacement: null },
  { name: "members' clear passwords", table: 'llx_adherent', column: 'pass', replacement: null },
  { name: "members' password hashes", table: 'llx_adherent', column: 'pass_crypted', replacement: null },
  { name: 'OAuth tokens (serialized)', table: 'llx_oauth_token', column: 'token', replacement: null },
  { name: 'OAuth tokens', table: 'llx_oauth_token', column: 'tokenstring', replacement: null },
  { name: 'OAuth refresh tokens', table: 'llx_oauth_token', column: 'tokenstring_refresh', replacement: null },
].map((rule) => Object.freeze(rule)));

export const ruleName = (rule: ScrubRule) => rule.name ?? `${rule.table}.${rule.column}`;

/** Refuses a rule list that could not be applied as meant, naming the rule and what to change. */
export function checkScrubRules(rules: readonly ScrubRule[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    const label = `rule ${i + 1} (${JSON.stringify(ruleName(rule))})`;
    const required: [string, unknown][] = [['table', rule.table], ['column', rule.column]];
    if (rule.where) required.push(['where.column', rule.where.column], ['where.matches', rule.where.matches]);
    if (rule.where?.unless !== undefined) required.push(['where.unless', rule.where.unless]);
    for (const [what, value] of required) {
      if (typeof value !== 'string' || !value.length) problems.push(`${label}: ${what} must be a non-empty text`);
    }
    if (rule.replacement !== null && typeof rule.replacement !== 'string') problems.push(`${label}: replacement must be null or a text, found ${JSON.stringify(rule.replacement)}`);
    if (seen.has(ruleName(rule))) problems.push(`${label}: another rule has the same name; give each rule its own name`);
    seen.add(ruleName(rule));
    const texts = [rule.table, rule.column, rule.where?.column, rule.where?.matches, rule.where?.unless, rule.replacement, rule.name];
    if (texts.some((t) => typeof t === 'string' && (t.includes('\u0000') || t.includes(TAG)))) problems.push(`${label}: a text contains a NUL byte or ${TAG}`);
  });
  if (!rules.length) problems.push('the list is empty: a scrub without rules would record a scrub that removed nothing');
  if (problems.length) throw new Error(`The scrub rules cannot be applied:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix the list (see DEFAULT_SCRUB_RULES in support/golden/scrub-rules.ts).`);
}

const TAG = '$scrub$';

/** Where scrubSql leaves how many values each rule blanked, for the caller to read once it has committed. */
export interface ScrubReportTable {
  schema: string;
  table: string;
}

/**
 * SQL that blanks production's secrets in the application schema, run inside the restore's transaction.
 * The rules' tables and columns are looked up in the catalog inside a DO block, so a golden without one of
 * them is scrubbed by the others; names are quoted with format('%I'). Only values that differ from the
 * replacement are written, and the tables' own triggers are suspended for that one update (then restored as
 * they were) so that a scrubbed row differs from production's only by its secrets, not by a new `tms`.
 * A rule that would put NULL into a NOT NULL column stops the whole transaction, naming the rule.
 * With `report`, the table is created and receives one row per rule: position, name, status
 * ('scrubbed' or 'skipped') and the number of values blanked.
 */
export function scrubSql(rules: readonly ScrubRule[], appSchema: string, report?: ScrubReportTable): string {
  checkScrubRules(rules);
  const lit = (v: string | null | undefined) => (v === null || v === undefined ? 'NULL' : quoteLiteral(v));
  const values = rules
    .map((r, i) => `(${i + 1}, ${lit(ruleName(r))}, ${lit(r.table)}, ${lit(r.column)}, ${lit(r.where?.column)}, ${lit(r.where?.matches)}, ${lit(r.where?.unless)}, ${lit(r.replacement)})`)
    .join(',\n      ');
  const reportTable = report ? qualified(report.schema, report.table) : undefined;
  const sql = `
-- Scrub of production secrets (support/golden/scrub-rules.ts).
${report ? `CREATE SCHEMA ${quoteIdent(report.schema)};\nCREATE TABLE ${reportTable} (position integer PRIMARY KEY, rule text NOT NULL, status text NOT NULL, blanked bigint NOT NULL);` : ''}
DO ${TAG}
DECLARE
  v_schema text := ${quoteLiteral(appSchema)};
  v_report text := ${lit(reportTable ?? null)};
  v_rule record;
  v_notnull boolean;
  v_where text;
  v_blanked bigint;
  v_trigger record;
  v_names text[];
  v_modes text[];
BEGIN
  FOR v_rule IN
    SELECT * FROM (VALUES
      ${values}
    ) AS r(position, name, tbl, col, where_col, matches, unless, replacement) ORDER BY position
  LOOP
    SELECT a.attnotnull INTO v_notnull
      FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = v_schema AND c.relname = v_rule.tbl AND c.relkind IN ('r', 'p') AND a.attname = v_rule.col AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND OR (v_rule.where_col IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = v_schema AND c.relname = v_rule.tbl AND a.attname = v_rule.where_col AND a.attnum > 0 AND NOT a.attisdropped)) THEN
      IF v_report IS NOT NULL THEN
        EXECUTE format('INSERT INTO %s VALUES ($1, $2, %L, 0)', v_report, 'skipped') USING v_rule.position, v_rule.name;
      END IF;
      CONTINUE;
    END IF;
    IF v_notnull AND v_rule.replacement IS NULL THEN
      RAISE EXCEPTION 'scrub rule "%": %.% is NOT NULL, so its secrets cannot be replaced by NULL', v_rule.name, v_rule.tbl, v_rule.col
        USING HINT = 'Give the rule a replacement text, such as an empty string.';
    END IF;
    v_where := format('%I IS DISTINCT FROM %L', v_rule.col, v_rule.replacement);
    IF v_rule.where_col IS NOT NULL THEN
      v_where := v_where || format(' AND %I::text ~* %L', v_rule.where_col, v_rule.matches);
      IF v_rule.unless IS NOT NULL THEN
        v_where := v_where || format(' AND NOT (%I::text ~* %L)', v_rule.where_col, v_rule.unless);
      END IF;
    END IF;
    -- Triggers such as Dolibarr's update_customer_modtime would stamp tms = now(): suspended for this update only.
    v_names := '{}';
    v_modes := '{}';
    FOR v_trigger IN
      SELECT t.tgname, t.tgenabled FROM pg_catalog.pg_trigger t
       WHERE t.tgrelid = format('%I.%I', v_schema, v_rule.tbl)::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'D' ORDER BY t.tgname
    LOOP
      EXECUTE format('ALTER TABLE %I.%I DISABLE TRIGGER %I', v_schema, v_rule.tbl, v_trigger.tgname);
      v_names := v_names || v_trigger.tgname::text;
      v_modes := v_modes || v_trigger.tgenabled::text;
    END LOOP;
    EXECUTE format('UPDATE %I.%I SET %I = %L WHERE %s', v_schema, v_rule.tbl, v_rule.col, v_rule.replacement, v_where);
    GET DIAGNOSTICS v_blanked = ROW_COUNT;
    FOR i IN 1 .. coalesce(array_length(v_names, 1), 0) LOOP
      EXECUTE format('ALTER TABLE %I.%I ENABLE %s TRIGGER %I', v_schema, v_rule.tbl,
                     CASE v_modes[i] WHEN 'A' THEN 'ALWAYS' WHEN 'R' THEN 'REPLICA' ELSE '' END, v_names[i]);
    END LOOP;
    IF v_report IS NOT NULL THEN
      EXECUTE format('INSERT INTO %s VALUES ($1, $2, %L, $3)', v_report, 'scrubbed') USING v_rule.position, v_rule.name, v_blanked;
    END IF;
  END LOOP;
END
${TAG};
`;
  if (sql.split(TAG).length !== 3) throw new Error(`scrubSql: the application schema name contains the quoting tag ${TAG}.`);
  return sql;
}

/** What is left of one rule's secrets in a database: rows whose value is not the replacement. */
export interface RemainingSecret {
  rule: string;
  table: string;
  column: string;
  rows: number;
}

/**
 * Counts, per rule whose table and columns exist, the rows that still hold something other than the
 * replacement. Read-only; the proof that a restored golden carries no secret of production.
 */
export async function remainingSecrets(client: ClientBase, appSchema: string, rules: readonly ScrubRule[] = DEFAULT_SCRUB_RULES): Promise<RemainingSecret[]> {
  checkScrubRules(rules);
  const { rows: columns } = await client.query<{ relname: string; attname: string }>(
    `SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`,
    [appSchema],
  );
  const has = new Set(columns.map((c) => `${c.relname}\u0000${c.attname}`));
  const present = rules.filter((r) => has.has(`${r.table}\u0000${r.column}`) && (!r.where || has.has(`${r.table}\u0000${r.where.column}`)));
  if (!present.length) return [];
  const parts = present.map((r, i) => {
    const value = r.replacement === null ? 'NULL' : quoteLiteral(r.replacement);
    const where = [`${quoteIdent(r.column)} IS DISTINCT FROM ${value}`];
    if (r.where) where.push(`${quoteIdent(r.where.column)}::text ~* ${quoteLiteral(r.where.matches)}`);
    if (r.where?.unless) where.push(`NOT (${quoteIdent(r.where.column)}::text ~* ${quoteLiteral(r.where.unless)})`);
    return `SELECT ${i} AS i, count(*)::int AS n FROM ${qualified(appSchema, r.table)} WHERE ${where.join(' AND ')}`;
  });
  const { rows } = await client.query<{ i: number; n: number }>(parts.join('\nUNION ALL\n'));
  return rows
    .sort((a, b) => a.i - b.i)
    .map((row) => ({ rule: ruleName(present[row.i]), table: present[row.i].table, column: present[row.i].column, rows: row.n }));
}
