import { withClient, type PgConnection } from '../db/connect';
import { quoteIdent } from '../db/ident';

/** A database the provisioner creates for one scenario only. */
export interface ScratchDatabase {
  readonly name: string;
  readonly owner: string;
  /** Drops it as the provisioner if it still exists (a scenario may have dropped it already). */
  remove(): Promise<void>;
}

/** The name of this run's scratch database beside `sandboxDatabase`: "erp-sandbox-scratch-<pid>". */
export function scratchDatabaseName(sandboxDatabase: string): string {
  return `${sandboxDatabase}-scratch-${process.pid}`;
}

/** Creates, as the provisioner (superuser), an empty database owned by `owner`. */
export async function createScratchDatabase(provisioner: PgConnection, name: string, owner: string, connectTimeoutMs: number): Promise<ScratchDatabase> {
  const maintenance = { ...provisioner, database: 'postgres' };
  await withClient(maintenance, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(owner)}`), connectTimeoutMs);
  return {
    name,
    owner,
    remove: async () => {
      await withClient(maintenance, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`), connectTimeoutMs);
    },
  };
}
