import { setDefaultTimeout, setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import type { Client } from 'pg';
import { withClient } from './db/connect';
import { explainConnectionLost } from './db/connection-lost';
import type { Fingerprints, Difference } from './golden/fingerprint';
import type { ArchiveScopeReport } from './golden/archive-contents';
import type { PoolerLookupFacts } from './sandbox/inspect';
import type { Golden } from './golden/golden';
import type { Harness } from './harness';
import type { AgentActions } from './agent';

export interface WorldParameters {
  backend?: 'local' | 'container' | 'live';
}

/** One scenario's state: handles to what the run started, and the last results the Then steps check. */
export class SandboxWorld extends World<WorldParameters> {
  harness!: Harness;
  /** The sandbox as it was before the step under test, to prove what changed or did not. */
  before?: Fingerprints;
  /** Differences from the baseline seen before the reset under test (proves there was something to undo). */
  differencesBeforeReset?: Difference[];
  /** A golden other than the run's, prepared by a Given step (a damaged copy, one without a manifest). */
  otherGolden?: { path: string; cleanup: () => void };
  /** The golden the harness accepted in a When step. */
  acceptedGolden?: Golden;
  /** What a When step that was expected to possibly fail threw. */
  lastError?: Error;
  /** Fingerprints taken after each reset in the scenario. */
  afterResets: Fingerprints[] = [];
  /** Connections the server logged during the last reset. */
  resetConnections?: { user: string; database: string }[];
  /** The pooler function as it was before the reset under test. */
  poolerBefore?: PoolerLookupFacts;
  /** What the golden archive would create, read from its table of contents. */
  archive?: ArchiveScopeReport;
  /** Things to undo at the end of the scenario, newest first. */
  readonly cleanups: (() => Promise<void> | void)[] = [];

  constructor(options: IWorldOptions<WorldParameters>) {
    super(options);
  }

  #agent?: AgentActions;

  /** The agent, with its sandbox key; one per scenario, closed at its end. */
  get agent(): AgentActions {
    if (!this.#agent) {
      const agent = this.harness.newAgent();
      this.cleanups.push(() => agent.close());
      this.#agent = agent;
    }
    return this.#agent;
  }

  /** Runs `work` on the sandbox as the runtime role, the only role scenarios use there. */
  inSandbox<T>(work: (client: Client) => Promise<T>): Promise<T> {
    return withClient(this.harness.backend.runtime, work, this.harness.config.connectTimeoutMs).catch((error: unknown) => {
      throw explainConnectionLost(error, 'a step on the sandbox');
    });
  }
}

setWorldConstructor(SandboxWorld);
// Resets and seeding on a large golden take seconds; a hung server must still fail the step.
setDefaultTimeout(120_000);
