import type { ClientBase } from 'pg';
import { qualified, quoteIdent, quoteLiteral } from '../db/ident';
import type { KnownChange } from '../diff';
import { inspectTracking } from './inspect-tracking';
import { resolveTrackingOptions, TRACK_TABLES, type TrackingOptions } from './options';

/**
 * For the diff (DiffOptions.changedTables): the application tables the tracking says changed since the
 * last reset, each with a SELECT of its changed keys, or undefined when the tracking cannot be trusted
 * (missing, another run's, DDL, truncation) and the diff must compare everything. Runs inside the diff's
 * read-only transaction, under a savepoint so that a failure leaves that transaction usable.
 */
export function trackedChangedTables(options: TrackingOptions): (client: ClientBase) => Promise<KnownChange[] | undefined> {
  const o = resolveTrackingOptions(options);
  const changes = qualified(o.trackSchema, TRACK_TABLES.changes);
  return async (client) => {
    await client.query('SAVEPOINT bdd_tracked_tables');
    try {
      const inspection = await inspectTracking(client, o);
      return inspection.changes?.tables.map((t) => {
        if (t.whole || !t.keyColumns.length) return { table: t.table };
        const keys = `SELECT ${t.keyColumns.map((c) => `r.${quoteIdent(c)}`).join(', ')}
          FROM (SELECT DISTINCT k FROM ${changes} WHERE tbl = ${quoteLiteral(t.table)} AND k IS NOT NULL) c
         CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${qualified(o.appSchema, t.table)}, c.k) r`;
        return { table: t.table, keysSql: keys };
      });
    } catch {
      return undefined;
    } finally {
      // It only read: rolling back to the savepoint also clears an error it may have caught.
      await client.query('ROLLBACK TO SAVEPOINT bdd_tracked_tables; RELEASE SAVEPOINT bdd_tracked_tables');
    }
  };
}
