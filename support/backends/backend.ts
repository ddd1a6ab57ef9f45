import type { Credentials } from '../cluster/provision';
import type { PgConnection } from '../db/connect';
import type { PgTools } from '../pgtools/tools';

export type { Credentials };

/** The server's own log, where a backend can read it: proves which roles connected. */
export interface ServerLog {
  /** A position to read from later. */
  mark(): number;
  /** Every "connection authorized" entry since the mark: who connected to which database. */
  connectionsSince(mark: number): { user: string; database: string }[];
}

/**
 * A running PostgreSQL holding the sandbox, however it was obtained. Features never know which:
 * `local` and `container` start and provision their own cluster; `live` is handed an existing sandbox.
 */
export interface StartedBackend {
  readonly name: 'local' | 'container' | 'live';
  /** One line for reports, without secrets: "throwaway PostgreSQL 15.18 cluster at 127.0.0.1:41234". */
  readonly description: string;
  readonly tools: PgTools;
  /** The server's system identifier the sandbox guard expects: configured on live, read at start elsewhere. */
  readonly serverId: string;
  /** The sandbox database as the runtime (membership-only) role. */
  readonly runtime: PgConnection;
  /** Production as the read-only dump role; absent on live, which holds no production credentials. */
  readonly prodDump?: PgConnection;
  /** Production as its application login (a member of the production owner); absent on live. */
  readonly prodApp?: PgConnection;
  /** The provisioner, for fixture-side setup only (never for resets or scenarios); absent on live. */
  readonly superuser?: Credentials & { host: string; port: number };
  /** Role the post-reset steps grant the application tables to, or null. */
  readonly appRole: string | null;
  readonly serverLog?: ServerLog;
  stop(): Promise<void>;
}
