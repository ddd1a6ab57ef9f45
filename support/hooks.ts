import { After, AfterAll, Before, BeforeAll, Status } from '@cucumber/cucumber';
import { loadConfig } from './config';
import { redact } from './db/redact';
import { changeSetToJson, renderChangeSet } from './diff';
import { startHarness, type Harness } from './harness';
import { missingRequirement } from './requirements';
import type { SandboxWorld, WorldParameters } from './world';

// The one thing shared across scenarios: what BeforeAll started. Scenario state lives in the World.
let harness: Harness | undefined;
const skipped: string[] = [];

const log = (line: string) => process.stderr.write(`[erp-sandbox-bdd] ${redact(line)}\n`);

BeforeAll({ timeout: 600_000 }, async function (this: { parameters: WorldParameters }) {
  const config = loadConfig(process.env, this.parameters ?? {});
  harness = await startHarness(config, log);
  if (!harness.golden.verified) log('WARNING: the golden has no manifest: this run is UNVERIFIED.');
});

Before({ timeout: 600_000 }, async function (this: SandboxWorld, { pickle }) {
  if (!harness) throw new Error('The harness did not start (see the BeforeAll error above).');
  this.harness = harness;
  this.log(`backend: ${harness.backend.name} (${harness.backendReason}); golden: ${harness.golden.verified ? 'verified against its manifest' : 'UNVERIFIED (no manifest)'}; agent writes: ${harness.writePath}`);
  const missing = missingRequirement(harness, pickle.tags.map((t) => t.name));
  if (missing) {
    skipped.push(`${pickle.name}: ${missing}`);
    this.log(`Skipped: ${missing}`);
    return 'skipped';
  }
  const outcome = await harness.resetForScenario();
  this.log(outcome.summary);
  return undefined;
});

After(async function (this: SandboxWorld, { result }) {
  for (const cleanup of this.cleanups.reverse()) await cleanup();
  this.otherGolden?.cleanup();
  if (result?.status === Status.FAILED && harness) {
    // What the sandbox looked like when the scenario failed: the change set, or why there is none.
    try {
      const changeSet = await harness.diff();
      this.attach(renderChangeSet(changeSet), { mediaType: 'text/plain', fileName: 'sandbox-diff.txt' });
      this.attach(changeSetToJson(changeSet), { mediaType: 'application/json', fileName: 'sandbox-change-set.json' });
    } catch (error) {
      const differences = await harness.verify().catch(() => []);
      this.attach(`No row-level diff: ${redact((error as Error).message)}\n${JSON.stringify(differences, null, 2)}`, { mediaType: 'text/plain', fileName: 'sandbox-diff.txt' });
    }
  }
});

AfterAll({ timeout: 120_000 }, async function () {
  if (skipped.length) log(`${skipped.length} scenario(s) skipped:\n  ${skipped.join('\n  ')}`);
  await harness?.stop();
  harness = undefined;
});
