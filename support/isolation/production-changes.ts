import type { ClientBase } from 'pg';
import { qualified } from '../db/ident';

/*
 * Changes no one but production's owner may make there, for the scenarios that prove other roles cannot.
 * (Adding, changing and deleting rows reuse the sandbox's own changes in support/sandbox/changes.ts.)
 */

/** Empties a table in one statement, as a careless clean-up script would. */
export async function emptyTable(client: ClientBase, schema: string, table: string): Promise<void> {
  await client.query(`TRUNCATE ${qualified(schema, table)}`);
}

/** Creates a table of the caller's own in the application schema. */
export async function createOwnTable(client: ClientBase, schema: string, table: string): Promise<void> {
  await client.query(`CREATE TABLE ${qualified(schema, table)} (rowid serial PRIMARY KEY, note text)`);
}
