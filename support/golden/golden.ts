import { existsSync, statSync } from 'node:fs';
import { compareArchiveVersions, majorOf, maxArchiveVersionFor, readArchiveHeader, type ArchiveHeader } from '../pgtools/archive-header';
import type { PgTools } from '../pgtools/tools';
import { manifestPathFor, readManifest, sha256File, type GoldenManifest } from './manifest';

/** A golden archive the harness has checked and may restore. */
export interface Golden {
  path: string;
  header: ArchiveHeader;
  /** Absent only when the user explicitly accepted a golden without one. */
  manifest?: GoldenManifest;
  /** False when the golden has no manifest: every report says so. */
  verified: boolean;
}

export class GoldenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoldenError';
  }
}

/** Refuses an archive the available pg_restore cannot read, naming both versions. */
export function assertToolsCanRead(header: ArchiveHeader, tools: PgTools, path: string): void {
  const readable = maxArchiveVersionFor(tools.major);
  const sourceMajor = safeMajor(header.serverVersion);
  if (compareArchiveVersions(header.archiveVersion, readable) > 0 || (sourceMajor !== undefined && sourceMajor > tools.major)) {
    throw new GoldenError(
      `The golden ${path} was taken from PostgreSQL ${header.serverVersion || 'unknown'} by pg_dump ${header.dumpVersion || 'unknown'} ` +
        `(archive format ${header.archiveVersion}); the available ${tools.description} read archives up to format ${readable}, ` +
        `from servers up to PostgreSQL ${tools.major}. Install client tools of PostgreSQL ${sourceMajor ?? 'the same major version'} or newer ` +
        '(BDD_PG_BIN), or use the container backend with an image of that version.',
    );
  }
}

function safeMajor(version: string): number | undefined {
  try {
    return majorOf(version);
  } catch {
    return undefined;
  }
}

/** Checks that the file is the one its manifest describes: size and sha256. Cheap enough to run before every reset. */
export async function assertMatchesManifest(golden: Golden): Promise<void> {
  if (!golden.manifest) return;
  const expected = golden.manifest.golden;
  const bytes = existsSync(golden.path) ? statSync(golden.path).size : -1;
  if (bytes < 0) throw new GoldenError(`The golden ${golden.path} has disappeared since the run started. Nothing was changed in the sandbox.`);
  const sha256 = bytes === expected.bytes ? await sha256File(golden.path) : '(not computed)';
  if (bytes !== expected.bytes || sha256 !== expected.sha256) {
    throw new GoldenError(
      `The golden ${golden.path} does not match its manifest: expected ${expected.bytes} bytes with sha256 ${expected.sha256}, ` +
        `found ${bytes} bytes with sha256 ${sha256}. The file was truncated, corrupted or replaced; nothing was changed in the sandbox. ` +
        'Take the golden again (or fetch it again from the seed job) together with its manifest.',
    );
  }
}

/**
 * Opens a golden given by path: refuses a missing file, something that is not a custom-format archive,
 * an archive too new for the tools, a golden without a manifest (unless accepted), and a checksum mismatch.
 */
export async function openGolden(path: string, tools: PgTools, acceptUnverified: boolean): Promise<Golden> {
  if (!existsSync(path)) {
    throw new GoldenError(`No golden at ${path}: expected a pg_dump custom-format archive there (BDD_GOLDEN). Check the path, or unset BDD_GOLDEN to seed one from production in this run.`);
  }
  let header: ArchiveHeader;
  try {
    header = readArchiveHeader(path);
  } catch (error) {
    throw new GoldenError((error as Error).message);
  }
  assertToolsCanRead(header, tools, path);
  const manifestPath = manifestPathFor(path);
  if (!existsSync(manifestPath)) {
    if (!acceptUnverified) {
      throw new GoldenError(
        `The golden ${path} has no manifest (expected ${manifestPath}), so its checksum, origin and contents cannot be checked. ` +
          'Use the manifest the seed job wrote beside it, or set BDD_GOLDEN_UNVERIFIED=accept to use it anyway: every report will then mark the run as unverified.',
      );
    }
    return { path, header, verified: false };
  }
  let manifest: GoldenManifest;
  try {
    manifest = readManifest(manifestPath);
  } catch (error) {
    throw new GoldenError((error as Error).message);
  }
  const golden: Golden = { path, header, manifest, verified: true };
  await assertMatchesManifest(golden);
  return golden;
}
