/**
 * Last-resort cleanup when the run is interrupted (Ctrl-C, SIGTERM from CI): cucumber runs no AfterAll
 * then, so whatever registered here is undone synchronously, newest first, before the process exits.
 * A SIGKILL cannot be caught: the next run's sweep removes what it left (see local-cluster.ts).
 */
type Cleanup = () => void;
const cleanups: Cleanup[] = [];
let installed = false;

function runAll(): void {
  while (cleanups.length) {
    const cleanup = cleanups.pop()!;
    try {
      cleanup();
    } catch (error) {
      process.stderr.write(`cleanup failed: ${(error as Error).message}\n`);
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal} received: stopping what the harness started...\n`);
      runAll();
      process.exit(code);
    });
  }
}

/** Registers a synchronous cleanup for an interrupted run; returns a function that unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  install();
  cleanups.push(cleanup);
  return () => {
    const index = cleanups.lastIndexOf(cleanup);
    if (index >= 0) cleanups.splice(index, 1);
  };
}
