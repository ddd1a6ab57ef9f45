import { startTrackedSandbox } from '../support/fastreset/testing-sandbox';
import { compareFingerprints } from '../support/golden/fingerprint';
(async () => {
  const t = await startTrackedSandbox();
  try {
    console.log('empty', await t.fast());
    await t.run(`UPDATE llx_parent SET label = 'x' WHERE rowid = 3; INSERT INTO llx_child (fk_parent, note) VALUES (3, 'n'); DELETE FROM llx_grandchild WHERE rowid = 5; SELECT nextval('llx_audit_rowid_seq');
      INSERT INTO llx_parent (code) VALUES ('NEWP'); INSERT INTO llx_child (fk_parent, note) VALUES (currval('llx_parent_rowid_seq'), 'c'); UPDATE llx_node SET name = 'renamed' WHERE rowid = 25; DELETE FROM llx_tag WHERE label = 'blue';`);
    const r = await t.fast();
    console.log(r);
    console.log(compareFingerprints(t.baseline, await t.fingerprint()));
  } finally { await t.stop(); }
})().catch((e) => { console.error(e); process.exit(1); });
