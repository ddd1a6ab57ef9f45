import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgTools } from '../pgtools/tools';
import { assertToolsCanRead, openGolden } from './golden';
import { readManifest } from './manifest';

const tools15 = { description: 'PostgreSQL 15.18 client tools in /usr/lib/postgresql/15/bin', version: '15.18', major: 15 } as PgTools;

test('an archive from a newer major is refused, naming both versions and the way out', () => {
  assert.throws(() => assertToolsCanRead({ archiveVersion: '1.16', serverVersion: '17.2', dumpVersion: '17.2', database: 'erp' }, tools15, 'g.dump'), (error: Error) => {
    assert.match(error.message, /PostgreSQL 17\.2/);
    assert.match(error.message, /15\.18/);
    assert.match(error.message, /up to format 1\.14/);
    assert.match(error.message, /Install client tools of PostgreSQL 17/);
    return true;
  });
  assert.doesNotThrow(() => assertToolsCanRead({ archiveVersion: '1.14', serverVersion: '15.4', dumpVersion: '15.18', database: 'erp' }, tools15, 'g.dump'));
});

test('a missing golden, a file that is not an archive and a broken manifest are refused with what was expected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'golden-test-'));
  try {
    await assert.rejects(openGolden(join(dir, 'none.dump'), tools15, false), /No golden at .*none\.dump: expected a pg_dump custom-format archive/);
    const sql = join(dir, 'plain.sql');
    writeFileSync(sql, '-- PostgreSQL database dump\n\\restrict abc\nSET statement_timeout = 0;\n');
    await assert.rejects(openGolden(sql, tools15, true), /is not a readable pg_dump custom-format archive: it does not start with "PGDMP"/);
    const manifest = join(dir, 'm.json');
    writeFileSync(manifest, '{"kind": "something else"}');
    assert.throws(() => readManifest(manifest), /not a golden manifest this harness reads: expected kind "erp-sandbox-bdd golden manifest" version 1, found kind "something else"/);
    writeFileSync(manifest, '{"kind": "erp-sandbox-bdd golden manifest", "version": 1, "golden": {"sha256": "x"}}');
    assert.throws(() => readManifest(manifest), /lacks archive, taken, scope, data, catalog/);
    writeFileSync(manifest, '{ truncated');
    assert.throws(() => readManifest(manifest), /is not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
