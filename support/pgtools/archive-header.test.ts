import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareArchiveVersions, majorOf, maxArchiveVersionFor, parseArchiveHeader, parseArchiveHeaderWithLength, writeArchiveHeader } from './archive-header';

function header(vmin: number, server: string, dump: string): Buffer {
  const intSize = 4;
  const parts: number[] = [...Buffer.from('PGDMP', 'latin1'), 1, vmin, 0, intSize, 8, 1];
  const int = (v: number) => parts.push(0, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff);
  const str = (s: string) => { const b = Buffer.from(s, 'utf8'); int(b.length); parts.push(...b); };
  if (vmin >= 15) parts.push(0); else int(-1);
  for (let i = 0; i < 7; i++) int(i);
  str('erp'); str(server); str(dump);
  return Buffer.from(parts);
}

test('reads versions and database from a 1.14 header', () => {
  const h = parseArchiveHeader(header(14, '15.18', '15.18'));
  assert.deepEqual(h, { archiveVersion: '1.14', serverVersion: '15.18', dumpVersion: '15.18', database: 'erp' });
});

test('reads a 1.16 header, whose compression field is one byte', () => {
  const h = parseArchiveHeader(header(16, '17.2', '17.2'));
  assert.equal(h.archiveVersion, '1.16');
  assert.equal(h.serverVersion, '17.2');
});

test('refuses something that is not an archive, saying what it expected', () => {
  assert.throws(() => parseArchiveHeader(Buffer.from('-- PostgreSQL database dump\n'), 'golden.sql'), /golden.sql is not a readable pg_dump custom-format archive.*pg_dump -Fc/);
  assert.throws(() => parseArchiveHeader(header(14, '15', '15').subarray(0, 30)), /truncated|runs past/);
});

test('version helpers', () => {
  assert.equal(maxArchiveVersionFor(15), '1.14');
  assert.equal(maxArchiveVersionFor(17), '1.16');
  assert.ok(compareArchiveVersions('1.16', '1.14') > 0);
  assert.equal(compareArchiveVersions('1.14', '1.14'), 0);
  assert.equal(majorOf('15.18 (Debian 15.18-0+deb12u1)'), 15);
});

test('a written header reads back, and its length is where the archive body starts', () => {
  const original = Buffer.concat([header(14, '15.18', '15.18'), Buffer.from('BODY')]);
  const { length, intSize, offSize } = parseArchiveHeaderWithLength(original);
  assert.equal(original.subarray(length).toString(), 'BODY');
  const newer = writeArchiveHeader({ archiveVersion: '1.16', serverVersion: '17.2', dumpVersion: '17.2', database: 'erp' }, intSize, offSize);
  assert.deepEqual(parseArchiveHeader(newer), { archiveVersion: '1.16', serverVersion: '17.2', dumpVersion: '17.2', database: 'erp' });
});
