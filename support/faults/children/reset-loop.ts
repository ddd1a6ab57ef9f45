// Test child: canonical resets in a loop, started on "go" from stdin, until it is killed.
import { createInterface } from 'node:readline';
import { openGolden } from '../../golden/golden';
import { requirePgBinaries } from '../../pgtools/binaries';
import { LocalPgTools } from '../../pgtools/tools';
import { canonicalReset, type ResetTarget } from '../../reset/canonical-reset';

interface Spec {
  runtime: ResetTarget['runtime'];
  identity: ResetTarget['identity'];
  goldenPath: string;
  postReset: string;
  lockTimeoutMs: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.FAULT_RESET ?? '{}') as Spec;
  const tools = new LocalPgTools(requirePgBinaries(undefined, false));
  const golden = await openGolden(spec.goldenPath, tools, false);
  const target: ResetTarget = { tools, runtime: spec.runtime, identity: spec.identity, golden, postReset: spec.postReset, lockTimeoutMs: spec.lockTimeoutMs };
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  for (;;) {
    const { ms } = await canonicalReset(target);
    process.stdout.write(`reset ${Math.round(ms)}\n`);
  }
}

main().catch((error: Error) => {
  process.stdout.write(`failed ${JSON.stringify(error.message)}\n`);
  process.exit(1);
});
