import { createHash } from 'node:crypto';
import { assertPlainName } from '../db/ident';

/**
 * Every trigger the harness puts on an application or copy table starts with this: the catalog fingerprint
 * and anything else that describes the application leave such triggers out (`tgname NOT LIKE 'zz\_bdd\_%'`).
 * "zz" also makes them fire after the application's own triggers, which fire in name order.
 */
export const HARNESS_TRIGGER_PREFIX = 'zz_bdd_';

/** The harness's triggers, by name. */
export const TRIGGERS = {
  /** AFTER INSERT OR UPDATE OR DELETE on every application table: records changed keys. */
  track: 'zz_bdd_track',
  /** AFTER TRUNCATE on every application table: records the truncation (which forces the canonical reset). */
  truncate: 'zz_bdd_track_truncate',
  /** BEFORE writes on the copy and the bookkeeping: refuses them (the fast reset unlocks its own). */
  guard: 'zz_bdd_guard',
} as const;

/** Tables of the tracking schema. */
export const TRACK_TABLES = {
  /** Keys of changed rows since the last reset: (table, key as jsonb), or (table, NULL) for the whole table. */
  changes: 'bdd_track_changes',
  /** One row: who installed tracking, for which golden and run, and the catalog snapshot's summary. */
  state: 'bdd_track_state',
  /** Per application table: its key, the columns a restore inserts, and how rows go back. */
  tables: 'bdd_track_tables',
  /** Every application sequence as the reset left it. */
  sequences: 'bdd_track_sequences',
  /** Catalog snapshot per object (relation, function, schema), as hashes of catalog row versions. */
  catalog: 'bdd_track_catalog',
} as const;

/** The session setting the fast reset sets (SET LOCAL) to the run token, so that the guard lets it clear the bookkeeping. */
export const UNLOCK_SETTING = 'erp_sandbox_bdd.unlock';

export interface TrackingOptions {
  appSchema: string;
  /** SQL LIKE pattern of the application tables, e.g. llx\_% */
  tablePattern: string;
  /** The baseline copy's schema (baselineCopySql), which the fast reset restores rows from. */
  copySchema: string;
  /** Harness-owned schema for the bookkeeping; default `<copySchema>_track`. Kept out of the copy schema, whose every table the diff reads as a copied table. */
  trackSchema?: string;
  /**
   * A secret of this run (see {@link newRunToken}). Only its sha256 goes into the database: tracking installed by
   * another run (or another process) is not trusted, and only a fast reset that knows the token may clear the bookkeeping.
   */
  runToken: string;
  /** Recorded, and compared by the fast reset: a sandbox last reset to another golden is never fast-reset. */
  goldenSha256?: string;
}

export interface ResolvedTrackingOptions extends Required<Omit<TrackingOptions, 'goldenSha256'>> {
  goldenSha256: string | null;
  tokenSha256: string;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function resolveTrackingOptions(options: TrackingOptions): ResolvedTrackingOptions {
  assertPlainName('application schema', options.appSchema);
  assertPlainName('baseline copy schema', options.copySchema);
  const trackSchema = assertPlainName('tracking schema', options.trackSchema ?? `${options.copySchema}_track`);
  const schemas = [options.appSchema, options.copySchema, trackSchema];
  if (new Set(schemas).size !== schemas.length) {
    throw new Error(`The application schema, the baseline copy schema and the tracking schema must differ; got ${schemas.map((s) => `"${s}"`).join(', ')}.`);
  }
  if (!/^[A-Za-z0-9_.~+/=-]{16,200}$/.test(options.runToken)) {
    throw new Error('The run token must be 16 to 200 characters of letters, digits and _.~+/=- (newRunToken() makes one).');
  }
  return {
    appSchema: options.appSchema,
    tablePattern: options.tablePattern,
    copySchema: options.copySchema,
    trackSchema,
    runToken: options.runToken,
    goldenSha256: options.goldenSha256 ?? null,
    tokenSha256: sha256Hex(options.runToken),
  };
}
