import { basename } from 'node:path';
import { statSync } from 'node:fs';
import { connect, type PgConnection } from '../db/connect';
import { majorOf, readArchiveHeader } from '../pgtools/archive-header';
import type { PgTools } from '../pgtools/tools';
import { fingerprintInTransaction } from './fingerprint';
import { MANIFEST_KIND, MANIFEST_VERSION, sha256File, writeManifest, type GoldenManifest } from './manifest';
import { discoverScope, type AppScope } from './scope';
import { GoldenError, type Golden } from './golden';

/**
 * Takes the golden: pg_dump of production's application scope, as the read-only role, in custom format,
 * without grants, and a manifest fingerprinted from the very snapshot pg_dump reads (exported snapshot),
 * so the manifest describes exactly what is in the archive.
 */
export async function seedGolden(tools: PgTools, prod: PgConnection, scope: AppScope, outFile: string): Promise<Golden> {
  const client = await connect(prod);
  try {
    const { rows: [server] } = await client.query<{ server_version: string }>('SHOW server_version');
    if (majorOf(server.server_version) > tools.major) {
      throw new GoldenError(
        `Production runs PostgreSQL ${server.server_version}, newer than the available ${tools.description}: pg_dump cannot dump a newer server. ` +
          `Install client tools of PostgreSQL ${majorOf(server.server_version)} (BDD_PG_BIN), or use the container backend.`,
      );
    }
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: [{ snapshot }] } = await client.query<{ snapshot: string }>('SELECT pg_catalog.pg_export_snapshot() AS snapshot');
    const fingerprints = await fingerprintInTransaction(client, scope);
    const { foreignRelations, otherSchemas } = await discoverScope(client, scope);
    // Excluding everything else rather than selecting the schema with --schema: a selected public schema
    // would come with a CREATE SCHEMA that cannot run in a database where it exists.
    const excluded = [
      ...otherSchemas.flatMap((name) => ['--exclude-schema', quotePattern(name)]),
      ...foreignRelations.flatMap((name) => ['--exclude-table', `${quotePattern(scope.schema)}.${quotePattern(name)}`]),
    ];
    // No large objects: pg_restore wraps them in a BEGIN/COMMIT of its own, which would break the one-transaction reset.
    await tools.dump(prod, [`--snapshot=${snapshot}`, ...excluded, '--no-privileges', '--no-blobs'], outFile);
    await client.query('COMMIT');

    const manifest: GoldenManifest = {
      kind: MANIFEST_KIND,
      version: MANIFEST_VERSION,
      golden: { file: basename(outFile), bytes: statSync(outFile).size, sha256: await sha256File(outFile) },
      archive: readArchiveHeader(outFile),
      taken: { at: new Date().toISOString(), by: prod.user, from: { host: prod.host, port: prod.port, database: prod.database }, tools: tools.description },
      scope,
      data: fingerprints.data,
      catalog: fingerprints.catalog,
    };
    writeManifest(outFile, manifest);
    return { path: outFile, header: manifest.archive, manifest, verified: true };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** pg_dump name patterns treat * ? and quotes specially: quote the name so it matches only itself. */
function quotePattern(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
