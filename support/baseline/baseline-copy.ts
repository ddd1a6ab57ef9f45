import { assertPlainName, quoteIdent, quoteLiteral } from '../db/ident';
import { BASELINE_META_TABLE } from './copy-meta';

export { assertBaselineCopyMatches } from './verify-copy';

export interface BaselineCopyOptions {
  appSchema: string;
  /** SQL LIKE pattern of the application's tables, e.g. llx\_% */
  tablePattern: string;
  /** The harness-owned schema to copy into; must not exist yet. */
  copySchema: string;
  /** Recorded in the copy, so a diff against another golden is refused. */
  goldenSha256?: string;
}

const TAG = '$bdd_baseline_copy$';

/**
 * SQL that copies every application table (relkind r/p of appSchema, name LIKE tablePattern) into a new
 * schema copySchema, with the original's primary key, and records when and from what in copySchema.bdd_meta.
 * Meant for the end of the reset's transaction, as the sandbox owner: the copy is then exactly the golden
 * plus post-reset state, and the next reset's DROP OWNED drops it. Nothing about any table is assumed.
 */
export function baselineCopySql(options: BaselineCopyOptions): string {
  assertPlainName('baseline copy schema', options.copySchema);
  if (options.copySchema === options.appSchema) {
    throw new Error(`The baseline copy schema must not be the application schema "${options.appSchema}": the copy would be part of what it is compared with.`);
  }
  const values = [options.appSchema, options.tablePattern, options.copySchema, options.goldenSha256 ?? ''];
  if (values.some((v) => v.includes(TAG))) throw new Error(`A baseline copy option contains ${TAG}, which delimits the generated SQL.`);
  const literal = (value: string | undefined) => (value === undefined ? 'NULL' : quoteLiteral(value));
  return `DO ${TAG}
DECLARE
  app_schema constant text := ${literal(options.appSchema)};
  table_pattern constant text := ${literal(options.tablePattern)};
  copy_schema constant text := ${literal(options.copySchema)};
  meta_table constant text := ${literal(BASELINE_META_TABLE)};
  golden_sha256 constant text := ${literal(options.goldenSha256)};
  t record;
  key_columns text;
  copied integer := 0;
BEGIN
  -- The previous copy went with DROP OWNED: a schema still there belongs to someone else, never overwrite it.
  IF EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = copy_schema) THEN
    RAISE EXCEPTION 'The baseline copy schema "%" already exists, owned by %: the reset''s DROP OWNED would have dropped the harness''s own copy.',
      copy_schema, (SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = copy_schema)
      USING HINT = 'Configure another baseline copy schema name, or have its owner drop it.';
  END IF;
  EXECUTE pg_catalog.format('CREATE SCHEMA %I', copy_schema);
  EXECUTE pg_catalog.format('CREATE TABLE %I.%I (made_at timestamptz NOT NULL, made_by text NOT NULL, app_schema text NOT NULL,
    table_pattern text NOT NULL, golden_sha256 text, tables integer NOT NULL)', copy_schema, meta_table);
  FOR t IN SELECT c.oid, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = app_schema AND c.relkind IN ('r', 'p') AND c.relname LIKE table_pattern ORDER BY c.relname
  LOOP
    IF t.relname = meta_table THEN
      RAISE EXCEPTION 'The application has a table named "%", the name the baseline copy keeps its own record in.', meta_table;
    END IF;
    EXECUTE pg_catalog.format('CREATE TABLE %I.%I AS TABLE %I.%I', copy_schema, t.relname, app_schema, t.relname);
    -- The same key as the original, for keyed joins against the sandbox.
    SELECT pg_catalog.string_agg(pg_catalog.format('%I', a.attname), ', ' ORDER BY k.ord) INTO key_columns
      FROM pg_catalog.pg_index i
     CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = t.oid AND i.indisprimary;
    IF key_columns IS NOT NULL THEN
      EXECUTE pg_catalog.format('ALTER TABLE %I.%I ADD PRIMARY KEY (%s)', copy_schema, t.relname, key_columns);
    END IF;
    copied := copied + 1;
  END LOOP;
  EXECUTE pg_catalog.format('INSERT INTO %I.%I VALUES (pg_catalog.clock_timestamp(), CURRENT_USER, $1, $2, $3, $4)', copy_schema, meta_table)
    USING app_schema, table_pattern, golden_sha256, copied;
END
${TAG};
COMMENT ON SCHEMA ${quoteIdent(options.copySchema)} IS ${quoteLiteral(
    'erp-sandbox-bdd baseline copy: the application tables as the last reset left them, for row-level diffs. Recreated by every reset; do not edit.',
  )};`;
}
