/** One entry of `pg_restore --list`. */
export interface ArchiveEntry {
  id: number;
  kind: string;
  schema: string;
  name: string;
  owner: string;
}

// Entry kinds made of several words; the rest are one word (TABLE, INDEX, FUNCTION, ACL...).
const MULTI_WORD_KINDS = ['TABLE DATA', 'SEQUENCE SET', 'SEQUENCE OWNED BY', 'FK CONSTRAINT', 'DEFAULT ACL', 'MATERIALIZED VIEW DATA', 'MATERIALIZED VIEW', 'ROW SECURITY', 'LARGE OBJECT', 'BLOB DATA', 'EVENT TRIGGER', 'FOREIGN TABLE', 'TEXT SEARCH CONFIGURATION', 'TEXT SEARCH DICTIONARY', 'FOREIGN DATA WRAPPER', 'SERVER', 'USER MAPPING', 'PUBLICATION TABLE', 'CHECK CONSTRAINT'];

/** Parses `pg_restore --list` output: "<id>; <catalog oid> <oid> <KIND> <schema> <name...> <owner>". */
export function parseArchiveList(listing: string): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [];
  for (const line of listing.split('\n')) {
    // Not trimmed: an entry without an owner ends in a space, which keeps its last word from reading as one.
    const match = /^(\d+); \d+ \d+ (.*)$/.exec(line.replace(/\r$/, ''));
    if (!match) continue;
    let rest = match[2];
    const kind = MULTI_WORD_KINDS.find((k) => rest.startsWith(k + ' ')) ?? rest.split(' ')[0];
    rest = rest.slice(kind.length + 1);
    const words = rest.split(' ');
    const schema = words.shift() ?? '';
    const owner = words.length > 1 ? (words.pop() ?? '') : '';
    entries.push({ id: Number(match[1]), kind, schema, name: words.join(' '), owner });
  }
  return entries;
}

export interface ArchiveScopeReport {
  entries: number;
  tables: string[];
  functions: string[];
  schemas: string[];
  owners: string[];
  /** Grants (ACL entries) carried in the archive. */
  grants: string[];
  /** Entries outside the application schema. */
  outside: string[];
}

/** Summarises what an archive would create, so a golden holding more than the application is caught. */
export function summariseArchive(entries: ArchiveEntry[], appSchema: string): ArchiveScopeReport {
  const unique = (values: string[]) => [...new Set(values)].sort();
  return {
    entries: entries.length,
    tables: unique(entries.filter((e) => e.kind === 'TABLE').map((e) => e.name)),
    functions: unique(entries.filter((e) => e.kind === 'FUNCTION').map((e) => e.name)),
    schemas: unique(entries.map((e) => e.schema).filter((s) => s !== '-')),
    owners: unique(entries.map((e) => e.owner).filter(Boolean)),
    grants: entries.filter((e) => e.kind === 'ACL' || e.kind === 'DEFAULT ACL').map((e) => `${e.kind} ${e.schema} ${e.name}`),
    outside: entries.filter((e) => e.kind === 'SCHEMA' || (e.schema !== '-' && e.schema !== appSchema)).map((e) => `${e.kind} ${e.schema} ${e.name}`),
  };
}
