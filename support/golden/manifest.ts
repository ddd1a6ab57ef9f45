import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import type { ArchiveHeader } from '../pgtools/archive-header';
import type { CatalogFingerprint, DataFingerprint, Fingerprints } from './fingerprint';
import type { AppScope } from './scope';
import type { ScrubRule } from './scrub-rules';

export const MANIFEST_KIND = 'erp-sandbox-bdd golden manifest';
export const MANIFEST_VERSION = 1;

/** Everything a user needs to trust a golden: what it is, who took it, from where, and what it holds. */
export interface GoldenManifest {
  kind: typeof MANIFEST_KIND;
  version: typeof MANIFEST_VERSION;
  golden: { file: string; bytes: number; sha256: string };
  archive: ArchiveHeader;
  taken: {
    at: string;
    /** The role pg_dump ran as. */
    by: string;
    from: { host: string; port: number; database: string };
    tools: string;
  };
  scope: AppScope;
  data: DataFingerprint;
  catalog: CatalogFingerprint;
  /** How production's secrets were blanked before this golden was dumped (support/golden/scrub.ts). */
  scrub?: ScrubRecord;
  /** Production's own fingerprints, from the snapshot the raw dump read, before the scrub. */
  production?: Fingerprints;
}

/** What the manifest records about the scrub of a golden. */
export interface ScrubRecord {
  /** The rules applied, in order. */
  rules: ScrubRule[];
  /** When the scrubbed data was committed in the sandbox, before it was dumped. */
  scrubbedAt: string;
  /** Values blanked, per rule name (rules the golden had no table or column for are in `skipped` instead). */
  counts: Record<string, number>;
  /** Rules whose table or column this golden does not have. */
  skipped: string[];
  /** The role that restored, scrubbed and dumped, and where. */
  by: string;
  in: { host: string; port: number; database: string };
  tools: string;
}

export const manifestPathFor = (goldenPath: string) => `${goldenPath}.manifest.json`;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function fingerprintsOf(manifest: GoldenManifest): Fingerprints {
  return { data: manifest.data, catalog: manifest.catalog };
}

export function writeManifest(goldenPath: string, manifest: GoldenManifest): void {
  writeFileSync(manifestPathFor(goldenPath), JSON.stringify(manifest, null, 2) + '\n');
}

/** Reads and shape-checks a manifest; a damaged or foreign file is refused with what was expected. */
export function readManifest(path: string): GoldenManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`The golden's manifest ${path} is not valid JSON (${(error as Error).message}). Take the golden again, or restore the manifest that came with it.`, { cause: error });
  }
  const m = parsed as Partial<GoldenManifest>;
  if (m.kind !== MANIFEST_KIND || m.version !== MANIFEST_VERSION) {
    throw new Error(`${path} is not a golden manifest this harness reads: expected kind "${MANIFEST_KIND}" version ${MANIFEST_VERSION}, found kind ${JSON.stringify(m.kind)} version ${JSON.stringify(m.version)}.`);
  }
  const missing = (['golden', 'archive', 'taken', 'scope', 'data', 'catalog'] as const).filter((key) => m[key] === undefined);
  if (missing.length || typeof m.golden?.sha256 !== 'string') {
    throw new Error(`The golden's manifest ${path} lacks ${missing.join(', ') || 'the checksum'}: it was cut short or edited. Take the golden again.`);
  }
  return m as GoldenManifest;
}
