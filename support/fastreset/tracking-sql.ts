import { randomBytes } from 'node:crypto';
import { qualified, quoteIdent, quoteLiteral } from '../db/ident';
import { registerSecret } from '../db/redact';
import { catalogObjectsSql, catalogSummarySql } from './catalog-snapshot';
import { resolveTrackingOptions, TRACK_TABLES, TRIGGERS, UNLOCK_SETTING, type TrackingOptions } from './options';

/** A fresh secret for one run of the harness (192 random bits), registered so that redact() masks it. */
export function newRunToken(): string {
  const token = randomBytes(24).toString('base64url');
  registerSecret(token);
  return token;
}

const TAG = '$bdd_track$';
const FN = '$bdd_track_fn$';

/**
 * SQL that installs change tracking, for the very end of the canonical reset's transaction (after
 * baselineCopySql: the copy is what the fast reset restores from, and the catalog snapshot taken here must
 * see every DDL of the reset). As the sandbox owner, it creates the tracking schema with:
 *
 * - on every application table, an AFTER INSERT OR UPDATE OR DELETE row trigger recording the changed
 *   row's primary key (old and new) in the bookkeeping table, or a statement trigger recording the whole
 *   table for a table without a primary key, and an AFTER TRUNCATE trigger recording the truncation;
 * - on every table of the copy and of the tracking schema, a guard refusing writes (the bookkeeping
 *   accepts inserts, and deletes from a fast reset that knows the run token);
 * - the key and columns of every table, the state of every application sequence, and a catalog snapshot.
 *
 * Tracking functions are SECURITY DEFINER (the Dolibarr role writes the tables and has no rights on the
 * tracking schema) with a pinned search_path. Tables the fast reset cannot handle (partitioned ones) are
 * recorded as a reason in the state row instead: every fast reset then falls back to the canonical one.
 * The canonical reset never fails because of tracking, except when the tracking schema exists already and
 * belongs to someone else.
 */
export function trackingSql(options: TrackingOptions): string {
  const o = resolveTrackingOptions(options);
  const sql = [o.appSchema, o.tablePattern, o.copySchema, o.trackSchema, o.goldenSha256 ?? ''].join('\n');
  if (sql.includes(TAG) || sql.includes(FN)) throw new Error(`A tracking option contains ${TAG} or ${FN}, which delimit the generated SQL.`);
  const track = (table: string) => qualified(o.trackSchema, table);
  const changes = track(TRACK_TABLES.changes);
  const lit = quoteLiteral;
  return `DO ${TAG}
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = ${lit(o.trackSchema)}) THEN
    RAISE EXCEPTION 'The tracking schema "%" already exists, owned by %: the reset''s DROP OWNED would have dropped the harness''s own.',
      ${lit(o.trackSchema)}, (SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = ${lit(o.trackSchema)})
      USING HINT = 'Configure another baseline copy schema (the tracking schema is named after it), or have its owner drop it.';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = ${lit(o.copySchema)}) THEN
    RAISE EXCEPTION 'Change tracking restores from the baseline copy in schema "%", which does not exist: run trackingSql after baselineCopySql.', ${lit(o.copySchema)};
  END IF;
END
${TAG};
CREATE SCHEMA ${quoteIdent(o.trackSchema)};
COMMENT ON SCHEMA ${quoteIdent(o.trackSchema)} IS ${lit('erp-sandbox-bdd change tracking: keys of the rows changed since the last reset, for the fast reset. Recreated by every canonical reset; do not edit.')};
CREATE TABLE ${changes} (tbl text NOT NULL, k jsonb, truncated boolean NOT NULL DEFAULT false);
CREATE TABLE ${track(TRACK_TABLES.state)} (installed_at timestamptz NOT NULL, installed_by text NOT NULL, install_xid text NOT NULL,
  app_schema text NOT NULL, table_pattern text NOT NULL, copy_schema text NOT NULL, golden_sha256 text, token_sha256 text NOT NULL,
  unsupported text, catalog_objects bigint, catalog_hash numeric);
CREATE TABLE ${track(TRACK_TABLES.tables)} (tbl text PRIMARY KEY, key_columns text[] NOT NULL, insert_columns text[] NOT NULL,
  update_columns text[] NOT NULL, update_in_place boolean NOT NULL);
CREATE TABLE ${track(TRACK_TABLES.sequences)} (seq pg_catalog.regclass PRIMARY KEY, last_value bigint NOT NULL, is_called boolean NOT NULL);
CREATE TABLE ${track(TRACK_TABLES.catalog)} (obj text PRIMARY KEY, rows int8 NOT NULL, h numeric NOT NULL);

CREATE FUNCTION ${track('zz_bdd_track_row')}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS ${FN}
DECLARE
  j jsonb;
  old_key jsonb;
  new_key jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    j := to_jsonb(OLD);
    IF TG_NARGS = 1 THEN old_key := jsonb_build_object(TG_ARGV[0], j -> TG_ARGV[0]);
    ELSE SELECT jsonb_object_agg(c, j -> c) INTO old_key FROM unnest(TG_ARGV) c; END IF;
    INSERT INTO ${changes} (tbl, k) VALUES (TG_TABLE_NAME, old_key);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    j := to_jsonb(NEW);
    IF TG_NARGS = 1 THEN new_key := jsonb_build_object(TG_ARGV[0], j -> TG_ARGV[0]);
    ELSE SELECT jsonb_object_agg(c, j -> c) INTO new_key FROM unnest(TG_ARGV) c; END IF;
    IF old_key IS NULL OR new_key <> old_key THEN INSERT INTO ${changes} (tbl, k) VALUES (TG_TABLE_NAME, new_key); END IF;
  END IF;
  RETURN NULL;
END
${FN};
-- The exact last_value of a sequence that was never called (pg_sequence_last_value gives NULL for it).
CREATE FUNCTION ${track('bdd_track_sequence_last_value')}(seq pg_catalog.regclass) RETURNS bigint LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp AS ${FN}
DECLARE
  v bigint;
BEGIN
  EXECUTE format('SELECT last_value FROM %s', seq) INTO v;
  RETURN v;
END
${FN};
CREATE FUNCTION ${track('zz_bdd_track_table')}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS ${FN}
BEGIN
  INSERT INTO ${changes} (tbl, k, truncated) VALUES (TG_TABLE_NAME, NULL, TG_OP = 'TRUNCATE');
  RETURN NULL;
END
${FN};

DO ${TAG}
DECLARE
  app_schema constant text := ${lit(o.appSchema)};
  table_pattern constant text := ${lit(o.tablePattern)};
  copy_schema constant text := ${lit(o.copySchema)};
  track_schema constant text := ${lit(o.trackSchema)};
  install_xid constant text := pg_catalog.pg_current_xact_id()::text;
  t record;
  s record;
  key_columns text[];
  unsupported text;
  seq_last bigint;
  seq_called boolean;
BEGIN
  -- The guard: writes to the copy and to the tracking tables are refused, except in this very transaction,
  -- and (bookkeeping only: its trigger does not fire on INSERT) in a fast reset that knows the run token.
  EXECUTE pg_catalog.format($g$CREATE FUNCTION %I.zz_bdd_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS %L$g$, track_schema, pg_catalog.format($b$
BEGIN
  IF pg_catalog.pg_current_xact_id()::text = %L
     OR pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(coalesce(pg_catalog.current_setting(%L, true), ''), 'UTF8')), 'hex') = %L THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'erp-sandbox-bdd: %%.%% belongs to the harness (baseline copy or change tracking) and is read-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege', HINT = 'The next canonical reset recreates it; nothing but the harness may write to it.';
END$b$, install_xid, ${lit(UNLOCK_SETTING)}, ${lit(o.tokenSha256)}));

  FOR t IN SELECT c.oid, c.relname, c.relkind, c.relispartition FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = app_schema AND c.relkind IN ('r', 'p') AND c.relname LIKE table_pattern ORDER BY c.relname
  LOOP
    IF t.relkind = 'p' OR t.relispartition THEN
      unsupported := coalesce(unsupported, pg_catalog.format('%s is partitioned or a partition', t.relname));
      CONTINUE;
    END IF;
    SELECT coalesce(pg_catalog.array_agg(a.attname::text ORDER BY k.ord), '{}') INTO key_columns
      FROM pg_catalog.pg_index i
     CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = t.oid AND i.indisprimary;
    IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', copy_schema, t.relname)) IS NULL THEN
      unsupported := coalesce(unsupported, pg_catalog.format('%s has no baseline copy', t.relname));
      CONTINUE;
    END IF;
    INSERT INTO ${track(TRACK_TABLES.tables)} (tbl, key_columns, insert_columns, update_columns, update_in_place)
    SELECT t.relname, key_columns,
           array(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum),
           array(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attname <> ALL (key_columns)
                    AND a.attidentity <> 'a' ORDER BY a.attnum),
           -- Deleting and re-inserting a row that other rows point at is safe only under NO ACTION foreign keys
           -- (checked at the end of the statement, when the row is back); others would cascade, nullify or refuse.
           EXISTS (SELECT FROM pg_catalog.pg_constraint f WHERE f.contype = 'f' AND f.confrelid = t.oid AND f.confdeltype <> 'a');
    IF pg_catalog.cardinality(key_columns) > 0 THEN
      EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I.%I FOR EACH ROW EXECUTE FUNCTION %I.zz_bdd_track_row(%s)',
        ${lit(TRIGGERS.track)}, app_schema, t.relname, track_schema, (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(c), ', ') FROM pg_catalog.unnest(key_columns) c));
    ELSE
      EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %I.zz_bdd_track_table()',
        ${lit(TRIGGERS.track)}, app_schema, t.relname, track_schema);
    END IF;
    EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER TRUNCATE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %I.zz_bdd_track_table()',
      ${lit(TRIGGERS.truncate)}, app_schema, t.relname, track_schema);
  END LOOP;

  -- Every application sequence (in the schema and LIKE the pattern, or owned by an application table), as fingerprinted.
  FOR s IN SELECT q.oid FROM pg_catalog.pg_class q JOIN pg_catalog.pg_namespace n ON n.oid = q.relnamespace
            WHERE n.nspname = app_schema AND q.relkind = 'S' AND (q.relname LIKE table_pattern OR EXISTS (
              SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class a ON a.oid = d.refobjid
               WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = q.oid AND a.relname LIKE table_pattern AND a.relnamespace = n.oid))
  LOOP
    EXECUTE pg_catalog.format('SELECT last_value, is_called FROM %s', s.oid::pg_catalog.regclass) INTO seq_last, seq_called;
    INSERT INTO ${track(TRACK_TABLES.sequences)} VALUES (s.oid, seq_last, seq_called);
  END LOOP;

  -- The guard on every table of the copy and of the tracking schema.
  FOR t IN SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN (copy_schema, track_schema) AND c.relkind = 'r'
  LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER %I BEFORE %s ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %I.zz_bdd_guard()',
      ${lit(TRIGGERS.guard)}, CASE WHEN t.nspname = track_schema AND t.relname = ${lit(TRACK_TABLES.changes)} THEN 'UPDATE OR DELETE OR TRUNCATE'
                                   ELSE 'INSERT OR UPDATE OR DELETE OR TRUNCATE' END, t.nspname, t.relname, track_schema);
  END LOOP;

  INSERT INTO ${track(TRACK_TABLES.state)} (installed_at, installed_by, install_xid, app_schema, table_pattern, copy_schema, golden_sha256, token_sha256, unsupported)
  VALUES (pg_catalog.clock_timestamp(), CURRENT_USER, install_xid, app_schema, table_pattern, copy_schema, ${o.goldenSha256 === null ? 'NULL' : lit(o.goldenSha256)}, ${lit(o.tokenSha256)}, unsupported);
END
${TAG};
-- Last: the snapshot must see every catalog change of the reset's transaction.
INSERT INTO ${track(TRACK_TABLES.catalog)} (obj, rows, h) ${catalogObjectsSql(o)};
UPDATE ${track(TRACK_TABLES.state)} SET (catalog_objects, catalog_hash) = (SELECT objects::int8, hash::numeric FROM (${catalogSummarySql(o)}) summary);`;
}
