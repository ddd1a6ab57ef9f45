// Test child: takes the sandbox's run lock and holds it until killed (or until HOLD_MS, then releases and exits).
import { acquireSandboxLock } from '../../lock/run-lock';

async function main(): Promise<void> {
  const conn = JSON.parse(process.env.FAULT_CONN ?? '{}');
  const lock = await acquireSandboxLock(conn, { waitMs: Number(process.env.WAIT_MS ?? 0) });
  process.stdout.write(`locked ${JSON.stringify({ backendPid: lock.backendPid, applicationName: lock.applicationName, pid: process.pid })}\n`);
  const holdMs = Number(process.env.HOLD_MS ?? 0);
  if (holdMs > 0) {
    await new Promise((r) => setTimeout(r, holdMs));
    await lock.release();
    process.stdout.write('released\n');
    return;
  }
  setInterval(() => undefined, 60_000);
}

main().catch((error: Error) => {
  process.stdout.write(`failed ${JSON.stringify(error.message)}\n`);
  process.exit(1);
});
