import { parseArchiveList, summariseArchive, type ArchiveEntry, type ArchiveScopeReport } from './archive-contents';

/** Entry kinds that live at database or cluster level: never part of an application's scope. */
const DATABASE_LEVEL_KINDS = new Set([
  'DATABASE', 'DATABASE PROPERTIES', 'EXTENSION', 'EVENT TRIGGER', 'PUBLICATION', 'PUBLICATION TABLE', 'SUBSCRIPTION',
  'FOREIGN DATA WRAPPER', 'SERVER', 'USER MAPPING', 'LARGE OBJECT', 'BLOB', 'BLOBS', 'BLOB DATA',
]);

export class ArchiveScopeError extends Error {
  constructor(
    readonly report: ArchiveScopeReport,
    readonly problems: string[],
    message: string,
  ) {
    super(message);
    this.name = 'ArchiveScopeError';
  }
}

/** SQL LIKE pattern (with backslash escapes) to an anchored regular expression. */
function likeToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) out += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (ch === '%') out += '.*';
    else if (ch === '_') out += '.';
    else out += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

function label(e: ArchiveEntry): string {
  const where = e.schema === '-' ? '' : `${e.schema}.`;
  // ACL and COMMENT entries name the object they apply to after its kind: "ACL public TABLE llx_parent".
  const about = /^(ACL|COMMENT)$/.test(e.kind) ? /^([A-Z][A-Z ]*?) (.+)$/.exec(e.name) : null;
  return about ? `${e.kind} on ${about[1]} ${where}${about[2]}` : `${e.kind} ${where}${e.name}`;
}

function sample(entries: ArchiveEntry[], max = 6): string {
  const shown = entries.slice(0, max).map(label).join(', ');
  return entries.length > max ? `${shown} and ${entries.length - max} more` : shown;
}

/**
 * Refuses a golden whose table of contents (`pg_restore --list`) holds more than the application: objects
 * owned by a role other than the expected one (or by several roles), grants (ACL entries), objects in other
 * schemas (the provisioner's `pooler`, anything else), database-level objects, and, when `tablePattern` is
 * given, tables of the application schema that are not the application's. Returns the summary when clean.
 */
export function assertArchiveInScope(listing: string, appSchema: string, expectedOwner?: string, options: { tablePattern?: string; path?: string } = {}): ArchiveScopeReport {
  const entries = parseArchiveList(listing);
  const report = summariseArchive(entries, appSchema);
  const problems: string[] = [];

  const owned = entries.filter((e) => e.owner !== '');
  const owner = expectedOwner ?? mostCommon(owned.map((e) => e.owner));
  const otherOwners = owned.filter((e) => e.owner !== owner);
  if (otherOwners.length) {
    const names = [...new Set(otherOwners.map((e) => e.owner))].sort();
    problems.push(`owned by ${names.map((n) => `"${n}"`).join(', ')} instead of "${owner}" (${otherOwners.length} entries: ${sample(otherOwners)})`);
  }
  const grants = entries.filter((e) => e.kind === 'ACL' || e.kind === 'DEFAULT ACL');
  if (grants.length) problems.push(`grants (ACL entries), which the reset must not replay: ${sample(grants)}`);
  const otherSchemas = entries.filter((e) => (e.kind === 'SCHEMA' && e.name !== appSchema) || (e.schema !== '-' && e.schema !== appSchema));
  if (otherSchemas.length) {
    const names = [...new Set(otherSchemas.map((e) => (e.kind === 'SCHEMA' ? e.name : e.schema)))].sort();
    problems.push(`objects outside schema "${appSchema}", in ${names.map((n) => `"${n}"`).join(', ')}: ${sample(otherSchemas)}`);
  }
  const databaseLevel = entries.filter((e) => DATABASE_LEVEL_KINDS.has(e.kind) || (e.kind === 'COMMENT' && /^(EXTENSION|DATABASE) /.test(e.name)));
  if (databaseLevel.length) problems.push(`database-level objects: ${sample(databaseLevel)}`);
  if (options.tablePattern) {
    const app = likeToRegExp(options.tablePattern);
    const strangers = entries.filter((e) => e.kind === 'TABLE' && e.schema === appSchema && !app.test(e.name));
    if (strangers.length) problems.push(`tables of schema "${appSchema}" that do not match the application's pattern ${options.tablePattern}: ${sample(strangers)}`);
  }

  if (problems.length) {
    const golden = options.path ? `The golden ${options.path}` : 'The golden';
    throw new ArchiveScopeError(
      report,
      problems,
      `${golden} holds objects outside the application scope (schema "${appSchema}"${owner ? `, owned by "${owner}"` : ''}, no grants):\n` +
        `${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Restoring it would replay grants or reach objects the sandbox does not own (or fail on the runtime role part-way). ' +
        'Expected: a dump of the application only, as the seed takes it (pg_dump -Fc --no-privileges, other schemas and non-application ' +
        'relations excluded). Take the golden again with the harness\'s seed, or dump it with those options.',
    );
  }
  return report;
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}
