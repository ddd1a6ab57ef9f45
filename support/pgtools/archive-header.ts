import { openSync, readSync, closeSync } from 'node:fs';

/** What the header of a pg_dump custom-format archive says about who wrote it. */
export interface ArchiveHeader {
  /** Archive format version, e.g. "1.14" (PostgreSQL 15 writes 1.14, 16 writes 1.15, 17 writes 1.16). */
  archiveVersion: string;
  /** Server version the dump was taken from, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
  serverVersion: string;
  /** pg_dump version that wrote it. */
  dumpVersion: string;
  /** Name of the database the dump was taken from. */
  database: string;
}

const FORMAT_CUSTOM = 1;

/**
 * Reads the header of a custom-format archive ourselves (pg_backup_archiver.c ReadHead), so that an
 * archive too new for the installed pg_restore is reported with both versions instead of pg_restore's
 * terse "unsupported version".
 */
export function readArchiveHeader(path: string): ArchiveHeader {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const length = readSync(fd, buf, 0, buf.length, 0);
    return parseArchiveHeader(buf.subarray(0, length), path);
  } finally {
    closeSync(fd);
  }
}

export function parseArchiveHeader(buf: Buffer, path = 'archive'): ArchiveHeader {
  return parseArchiveHeaderWithLength(buf, path).header;
}

/** The header and how many bytes it takes, so a copy with another header can be written. */
export function parseArchiveHeaderWithLength(buf: Buffer, path = 'archive'): { header: ArchiveHeader; length: number; intSize: number; offSize: number } {
  const fail = (what: string): never => {
    throw new Error(`${path} is not a readable pg_dump custom-format archive: ${what}. Expected a file written by "pg_dump -Fc".`);
  };
  if (buf.length < 16 || buf.subarray(0, 5).toString('latin1') !== 'PGDMP') fail('it does not start with "PGDMP"');
  let pos = 5;
  const byte = () => (pos < buf.length ? buf[pos++] : fail('the header is truncated'));
  const vmaj = byte();
  const vmin = byte();
  const vrev = byte();
  const intSize = byte();
  const offSize = byte();
  const format = byte();
  if (format !== FORMAT_CUSTOM) fail(`its format code is ${format}, not custom (${FORMAT_CUSTOM})`);
  const readInt = (): number => {
    const negative = byte() !== 0;
    let value = 0;
    for (let i = 0; i < intSize; i++) value += byte() * 2 ** (8 * i);
    return negative ? -value : value;
  };
  const readStr = (): string => {
    const len = readInt();
    if (len < 0) return '';
    if (pos + len > buf.length) fail('a header string runs past the end of the header');
    const s = buf.subarray(pos, pos + len).toString('utf8');
    pos += len;
    return s;
  };
  const atLeast = (maj: number, min: number) => vmaj > maj || (vmaj === maj && vmin >= min);
  if (atLeast(1, 15)) byte(); // compression algorithm
  else readInt(); // compression level
  for (let i = 0; i < 7; i++) readInt(); // creation time, struct tm fields
  const database = readStr();
  const serverVersion = readStr();
  const dumpVersion = readStr();
  return { header: { archiveVersion: `${vmaj}.${vmin}${vrev ? `.${vrev}` : ''}`, serverVersion, dumpVersion, database }, length: pos, intSize, offSize };
}

/** Writes a custom-format header (the 1.15+ layout); used to make copies as a newer pg_dump would write them. */
export function writeArchiveHeader(header: ArchiveHeader, intSize: number, offSize: number): Buffer {
  const [vmaj, vmin, vrev = 0] = header.archiveVersion.split('.').map(Number);
  const bytes: number[] = [...Buffer.from('PGDMP', 'latin1'), vmaj, vmin, vrev, intSize, offSize, FORMAT_CUSTOM];
  const int = (value: number) => {
    bytes.push(value < 0 ? 1 : 0);
    for (let i = 0, v = Math.abs(value); i < intSize; i++, v = Math.floor(v / 256)) bytes.push(v % 256);
  };
  const str = (text: string) => {
    const b = Buffer.from(text, 'utf8');
    int(b.length);
    bytes.push(...b);
  };
  if (vmaj > 1 || vmin >= 15) bytes.push(0);
  else int(-1);
  for (const field of [0, 0, 0, 1, 0, 126, 0]) int(field);
  str(header.database);
  str(header.serverVersion);
  str(header.dumpVersion);
  return Buffer.from(bytes);
}

/** Highest archive format version each pg_restore major reads (pg_backup_archiver.h K_VERS_MAX). */
const MAX_ARCHIVE_BY_MAJOR: Record<number, string> = { 13: '1.14', 14: '1.14', 15: '1.14', 16: '1.15', 17: '1.16', 18: '1.16' };

export function maxArchiveVersionFor(restoreMajor: number): string {
  return MAX_ARCHIVE_BY_MAJOR[restoreMajor] ?? (restoreMajor > 18 ? '1.16' : '1.14');
}

/** Compares "1.14" style versions. */
export function compareArchiveVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

export function majorOf(version: string): number {
  const match = /^(\d+)/.exec(version.trim());
  if (!match) throw new Error(`cannot read a PostgreSQL major version from ${JSON.stringify(version)}`);
  return Number(match[1]);
}
