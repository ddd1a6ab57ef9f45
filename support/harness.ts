import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HarnessConfig } from './config';
import type { StartedBackend } from './backends/backend';
import { startLiveBackend } from './backends/live';
import { startLocalBackend } from './backends/local';
import { startContainerBackend } from './backends/container';
import { probeContainerRuntime } from './backends/container-runtime';
import { withClient, type PgConnection } from './db/connect';
import { compareFingerprints, fingerprintDatabase, type Difference, type Fingerprints } from './golden/fingerprint';
import { openGolden, type Golden } from './golden/golden';
import { fingerprintsOf } from './golden/manifest';
import type { AppScope } from './golden/scope';
import { assertGoldenScrubbed, seedScrubbedGolden } from './golden/scrub';
import { assertIsSandbox, type SandboxIdentity } from './guard/sandbox-guard';
import { assertArchiveInScope } from './golden/archive-scope';
import { acquireSandboxLock, describeHolder, type SandboxLock } from './lock/run-lock';
import { requirePgBinaries } from './pgtools/binaries';
import { canonicalReset, type ResetResult } from './reset/canonical-reset';
import { postResetSql } from './reset/post-reset';
import { baselineCopySql } from './baseline/baseline-copy';
import { diffSandbox, type ChangeSet } from './diff';
import { sha256File } from './golden/manifest';
import { establishBaseline } from './reset/baseline';
import { newRunToken, ScenarioReset, trackedChangedTables, trackingSql, type ScenarioResetOutcome, type TrackingOptions } from './fastreset';
import { agentUserSql, ApiAgent, isAgentUserFootprint, newAgentApiKey, SqlAgent, type AgentActions } from './agent';

/** Everything started once per run and shared by the scenarios. */
export interface Harness {
  readonly config: HarnessConfig;
  readonly backend: StartedBackend;
  readonly scope: AppScope;
  readonly identity: SandboxIdentity;
  readonly golden: Golden;
  /** Why the backend was chosen, for the reports. */
  readonly backendReason: string;
  /** What the sandbox must match right after a reset: the golden plus the post-reset steps. */
  baseline(): Fingerprints;
  /** The canonical reset aimed elsewhere, for the scenarios that prove the guard refuses a wrong target. */
  resetTarget(where: { runtime: PgConnection; identity: SandboxIdentity }): Promise<ResetResult>;
  /** The canonical reset, to the run's golden or to another one (a scenario's damaged copy). */
  reset(golden?: Golden): Promise<ResetResult>;
  /**
   * The reset before every scenario (BDD_RESET): undo only what the change tracking recorded since the last
   * reset, the canonical reset whenever it cannot be sure; then (BDD_RESET_VERIFY) prove the sandbox equals the baseline.
   */
  resetForScenario(): Promise<ScenarioResetOutcome>;
  /** How the agent's writes reach the sandbox: through the Dolibarr REST API, or straight to the tables. */
  readonly writePath: string;
  /** The agent, acting with the sandbox key; the caller closes it. */
  newAgent(): AgentActions;
  /** Row by row, how the sandbox differs from the baseline. */
  diff(): Promise<ChangeSet>;
  /** Compares the sandbox with the baseline; empty when they are equal. */
  verify(): Promise<Difference[]>;
  fingerprintSandbox(): Promise<Fingerprints>;
  /** Production's application scope, read as the read-only dump role (backends that hold production only). */
  fingerprintProduction(): Promise<Fingerprints>;
  stop(): Promise<void>;
}

export type Log = (line: string) => void;

async function startBackend(config: HarnessConfig, log: Log): Promise<{ backend: StartedBackend; reason: string }> {
  if (config.backend === 'live') {
    return { backend: await startLiveBackend(config, requirePgBinaries(config.pgBin, false)), reason: 'chosen by configuration (live profile or BDD_BACKEND=live)' };
  }
  if (config.backend === 'container') {
    return { backend: await startContainerBackend(config, config.container, log), reason: 'chosen by configuration (BDD_BACKEND=container)' };
  }
  let reason = 'chosen by configuration (BDD_BACKEND=local)';
  if (config.backend === 'auto') {
    const probe = await probeContainerRuntime(config.container.image, config.container.allowPull);
    if (probe.usable) return { backend: await startContainerBackend(config, config.container, log), reason: `auto: a container runtime answers and ${config.container.image} is present` };
    reason = `auto: ${probe.reason}; using the local backend`;
    log(reason);
  }
  return { backend: await startLocalBackend(config, requirePgBinaries(config.pgBin, true), log), reason };
}

/** The sandbox Dolibarr the agent writes through, if any; the stand-in is loaded only when asked for. */
async function connectDolibarr(config: HarnessConfig, backend: StartedBackend): Promise<{ baseUrl: string; standIn: boolean; stop(): Promise<void> } | undefined> {
  if (!config.dolibarrUrl) return undefined;
  if (config.dolibarrUrl !== 'stand-in') return { baseUrl: config.dolibarrUrl, standIn: false, stop: async () => undefined };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startDolibarrStandIn } = require('../test/dolibarr-stand-in') as typeof import('../test/dolibarr-stand-in');
  const standIn = await startDolibarrStandIn({ db: backend.runtime, appSchema: config.appSchema });
  return { baseUrl: standIn.baseUrl, standIn: true, stop: () => standIn.stop() };
}

/** With --parallel, cucumber numbers its workers: each has its own cluster, and its own golden file. */
const workerId = () => process.env.CUCUMBER_WORKER_ID;
const workerSuffix = () => (workerId() === undefined ? '' : `.worker-${workerId()}`);

/** Starts the backend, obtains and checks the golden, and prepares the reset. Stops what it started if any step fails. */
export async function startHarness(config: HarnessConfig, log: Log = () => undefined): Promise<Harness> {
  if (config.backend === 'live' && workerId() !== undefined) {
    throw new Error('The live sandbox stays serial: there is one sandbox, and every worker of --parallel would need its own. Run the live profile without --parallel (use --shard on separate runners only against separate sandboxes).');
  }
  const { backend, reason } = await startBackend(config, log);
  log(`backend: ${backend.name} (${reason}): ${backend.description}`);
  let dolibarr: { baseUrl: string; standIn: boolean; stop(): Promise<void> } | undefined;
  let lock: SandboxLock | undefined;
  try {
    const scope: AppScope = { schema: config.appSchema, tablePattern: config.appTablePattern };
    const identity: SandboxIdentity = { sandboxDatabase: config.sandboxDatabase, sandboxOwner: config.sandboxOwner, prodOwner: config.prodOwner, serverId: backend.serverId };
    // One run at a time: the lock is taken only on a target proven to be the sandbox (on live: before any write).
    lock = await acquireSandboxLock(backend.runtime, {
      waitMs: config.runLockWaitMs,
      connectTimeoutMs: config.connectTimeoutMs,
      guard: (client) => assertIsSandbox(client, identity),
      onWait: (holders) => log(`the sandbox is in use by ${holders.map(describeHolder).join('; ')}: waiting up to ${config.runLockWaitMs} ms (BDD_RUN_LOCK_WAIT_MS)`),
    });
    const heldLock = lock;
    log(`run lock: held as "${lock.applicationName}" (server pid ${lock.backendPid})`);
    dolibarr = await connectDolibarr(config, backend);
    let golden: Golden;
    if (config.golden.path) {
      golden = await openGolden(config.golden.path, backend.tools, config.golden.acceptUnverified);
      // The live sandbox is only ever given a golden whose manifest records the scrub of production's secrets.
      if (config.backend === 'live') assertGoldenScrubbed(golden.manifest, golden.path);
      assertArchiveInScope(await backend.tools.list(golden.path), scope.schema, undefined, { tablePattern: scope.tablePattern, path: golden.path });
      log(`golden: ${golden.path}${golden.verified ? '' : ' (UNVERIFIED: no manifest, accepted by BDD_GOLDEN_UNVERIFIED=accept)'}`);
    } else {
      if (!backend.prodDump) throw new Error('No golden was given (BDD_GOLDEN) and this backend cannot reach production to take one.');
      const dir = join(config.reportsDir, 'golden');
      mkdirSync(dir, { recursive: true });
      const started = performance.now();
      // The read-only role cannot change rows: production's dump is restored into the sandbox, scrubbed of its
      // secrets in the same transaction, and the sandbox is dumped as the golden (support/golden/scrub.ts).
      const scrubbed = await seedScrubbedGolden({
        tools: backend.tools, prod: backend.prodDump, runtime: backend.runtime, identity, scope,
        outFile: join(dir, `${config.prodDatabase}.golden${workerSuffix()}.dump`), lockTimeoutMs: config.lockTimeoutMs,
      });
      golden = scrubbed;
      const blanked = Object.values(scrubbed.manifest.scrub.counts).reduce((a, b) => a + b, 0);
      log(`golden: seeded from production as ${backend.prodDump.user}, ${blanked} secret value(s) blanked in the sandbox as ${backend.runtime.user}, in ${Math.round(performance.now() - started)} ms: ${golden.path}`);
    }
    const goldenSha256 = golden.manifest?.golden.sha256 ?? (await sha256File(golden.path));
    // Post-reset steps, in order; the baseline copy comes last so that it holds the whole baseline.
    const agentKey = config.agent.apiKey ?? newAgentApiKey();
    const tracking: TrackingOptions = { appSchema: scope.schema, tablePattern: scope.tablePattern, copySchema: config.baselineSchema, goldenSha256, runToken: newRunToken() };
    const postReset = [
      postResetSql({ appSchema: scope.schema, appRole: backend.appRole }),
      // The golden's llx_user is production's: the agent's user and sandbox key are made to exist again.
      agentUserSql({ appSchema: scope.schema, login: config.agent.login, apiKey: agentKey }),
      baselineCopySql({ appSchema: scope.schema, tablePattern: scope.tablePattern, copySchema: config.baselineSchema, goldenSha256 }),
      // Last: the change tracking's catalog snapshot must see every change the reset made (support/fastreset).
      trackingSql(tracking),
    ].join('\n');
    const target = { tools: backend.tools, runtime: backend.runtime, identity, golden, postReset, lockTimeoutMs: config.lockTimeoutMs };
    const fingerprintSandbox = () => withClient(backend.runtime, (client) => fingerprintDatabase(client, scope), config.connectTimeoutMs);
    // Known once the first reset has run: the golden's fingerprints, plus what the post-reset steps add.
    let baseline: Fingerprints | undefined;
    const scenarioReset = new ScenarioReset({
      runtime: backend.runtime,
      identity,
      fast: { ...tracking, sandboxOwner: config.sandboxOwner, lockTimeoutMs: config.lockTimeoutMs },
      canonical: () => harness.reset(),
      mode: config.reset.mode,
      verify: config.reset.verify ? { scope, baseline: () => harness.baseline() } : undefined,
      beforeWrite: () => heldLock.assertHeld(),
      connectTimeoutMs: config.connectTimeoutMs,
    });
    const harness: Harness = {
      config,
      backend,
      scope,
      identity,
      golden,
      backendReason: reason,
      writePath: dolibarr ? `Dolibarr REST API at ${dolibarr.baseUrl}${dolibarr.standIn ? ' (the loopback stand-in of the test tree)' : ''}` : 'straight to the tables, as the runtime role, with the effects of the Dolibarr API',
      newAgent: () =>
        dolibarr
          ? new ApiAgent({ baseUrl: dolibarr.baseUrl, apiKey: agentKey, timeoutMs: config.connectTimeoutMs })
          : new SqlAgent({ db: backend.runtime, appSchema: scope.schema, login: config.agent.login }),
      baseline: () => {
        if (!baseline) throw new Error('The baseline of an unverified golden is known only after its first reset.');
        return baseline;
      },
      resetTarget: (where) => canonicalReset({ ...target, ...where }),
      async reset(other?: Golden) {
        await heldLock.assertHeld();
        const result = await canonicalReset({ ...target, golden: other ?? golden });
        // The tracking it installed describes this run's baseline only if it restored this run's golden.
        if (other && other.path !== golden.path) scenarioReset.forgetState();
        else scenarioReset.noteCanonicalReset();
        baseline ??= await withClient(backend.runtime, (client) => establishBaseline(client, scope, golden.manifest && fingerprintsOf(golden.manifest), isAgentUserFootprint));
        return result;
      },
      resetForScenario: () => scenarioReset.reset(),
      diff() {
        return withClient(backend.runtime, (client) =>
          diffSandbox(client, {
            appSchema: scope.schema,
            tablePattern: scope.tablePattern,
            copySchema: config.baselineSchema,
            goldenSha256,
            ignoredColumns: config.diffIgnoredColumns,
            baselineFingerprint: harness.baseline().data,
            // Only the rows the tracking saw change are compared, when it can vouch that nothing else did.
            changedTables: trackedChangedTables(tracking),
          }), config.connectTimeoutMs);
      },
      async verify() {
        return compareFingerprints(harness.baseline(), await fingerprintSandbox());
      },
      fingerprintSandbox,
      fingerprintProduction() {
        if (!backend.prodDump) throw new Error(`The ${backend.name} backend holds no production credentials: production cannot be fingerprinted here.`);
        return withClient(backend.prodDump, (client) => fingerprintDatabase(client, scope), config.connectTimeoutMs);
      },
      async stop() {
        await scenarioReset.close();
        await dolibarr?.stop();
        await heldLock.release();
        await backend.stop();
      },
    };
    log(`agent writes: ${harness.writePath}`);
    return harness;
  } catch (error) {
    await dolibarr?.stop();
    await lock?.release();
    await backend.stop();
    throw error;
  }
}
