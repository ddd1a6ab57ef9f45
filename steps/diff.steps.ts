import { Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import { compareFingerprints } from '../support/golden/fingerprint';
import { productionFingerprintsOf } from '../support/golden/scrub';
import type { SandboxWorld } from '../support/world';
import { describeChangeSet } from './dolibarr-vocabulary';

Then('the sandbox does not differ from the baseline', async function (this: SandboxWorld) {
  const changeSet = await this.harness.diff();
  expect(changeSet.changes, 'changed rows').to.deep.equal([]);
  expect(changeSet.tables, 'added, dropped or altered tables').to.deep.equal({ added: [], dropped: [], altered: [] });
});

Then('the sandbox differs from the baseline by exactly these records:', async function (this: SandboxWorld, table: { hashes(): { record: string; change: string; details: string }[] }) {
  const changeSet = await this.harness.diff();
  this.attach(JSON.stringify(changeSet, null, 2), { mediaType: 'application/json', fileName: 'change-set.json' });
  const expected = table.hashes().map((row) => ({ record: row.record, change: row.change, details: row.details }));
  const byText = (r: { record: string; change: string; details: string }) => `${r.record}|${r.change}|${r.details}`;
  expect(describeChangeSet(changeSet)).to.deep.equal(expected.sort((a, b) => byText(a).localeCompare(byText(b))));
  expect(changeSet.tables, 'added, dropped or altered tables').to.deep.equal({ added: [], dropped: [], altered: [] });
});

Then('the change set names the golden it was taken against and carries no secret', async function (this: SandboxWorld) {
  const changeSet = await this.harness.diff();
  expect(changeSet.golden.sha256).to.equal(this.harness.golden.manifest?.golden.sha256 ?? changeSet.golden.sha256);
  const text = JSON.stringify(changeSet);
  expect(text).to.not.match(/"(api_key|pass_crypted|pass)":"(?!\[redacted\])[^"]+"/);
});

Then('production is untouched', async function (this: SandboxWorld) {
  const manifest = this.harness.golden.manifest!;
  const now = await this.harness.fingerprintProduction();
  expect(compareFingerprints(productionFingerprintsOf(manifest), now), 'production compared with its own fingerprints at seed time').to.deep.equal([]);
});
