import type { Client } from 'pg';
import { connect, type PgConnection } from '../db/connect';
import type { Difference, Fingerprints } from '../golden/fingerprint';
import type { AppScope } from '../golden/scope';
import { assertIsSandbox, type SandboxIdentity } from '../guard/sandbox-guard';
import { fastReset, type FastResetOptions } from './fast-reset';
import { BaselineVerifier } from './verify';

export interface ScenarioResetOptions {
  runtime: PgConnection;
  identity: SandboxIdentity;
  fast: FastResetOptions;
  /** The canonical reset to the run's golden (the harness's, which also establishes the baseline the first time). */
  canonical: () => Promise<{ ms: number }>;
  /** 'fast' (default): undo what the tracking recorded, the canonical reset when it cannot be sure. 'canonical': always the canonical reset. */
  mode?: 'fast' | 'canonical';
  /** After every fast reset, prove the whole sandbox equals the baseline (BaselineVerifier); a difference fails loudly (see reset()). */
  verify?: { scope: AppScope; baseline: () => Fingerprints };
  /** Runs before anything is written (the harness's run-lock check). */
  beforeWrite?: () => Promise<void>;
  connectTimeoutMs?: number;
}

export interface ScenarioResetOutcome {
  path: 'fast' | 'canonical';
  ms: number;
  /** Why the canonical reset ran instead of the fast one. */
  reason?: string;
  /** Milliseconds the verification took, when it ran. */
  verifyMs?: number;
  /** One line for the scenario's log. */
  summary: string;
}

export class FastResetVerificationError extends Error {
  constructor(readonly differences: Difference[]) {
    super(
      `The fast reset said it restored the baseline, but the sandbox still differs from it:\n${differences.map((d) => `  - ${d.what}: expected ${d.expected}, found ${d.found}`).join('\n')}\n` +
        'The canonical reset has been run, so the next scenario starts from the baseline; this is a bug in the fast reset (support/fastreset): report it with this list.',
    );
    this.name = 'FastResetVerificationError';
  }
}

/**
 * The reset before every scenario: the fast reset on one connection kept for the run (its identity proven
 * once), the canonical reset whenever the fast one cannot be sure, and, when configured, a whole-sandbox
 * verification after every fast reset. The first reset of a run is always canonical (it installs this run's
 * tracking), and so is the one after a reset to another golden (see forgetState).
 */
export class ScenarioReset {
  #client: Client | undefined;
  #trusted = false;
  readonly #verifier: BaselineVerifier | undefined;

  constructor(private readonly options: ScenarioResetOptions) {
    this.#verifier = options.verify && new BaselineVerifier(options.verify.scope, options.verify.baseline);
  }

  /** The sandbox no longer holds what this run's canonical reset made (another golden was restored): the next reset is canonical. */
  forgetState(): void {
    this.#trusted = false;
  }

  /** A canonical reset to the run's golden just ran elsewhere (a scenario's own step): its tracking is this run's. */
  noteCanonicalReset(): void {
    this.#trusted = true;
  }

  async reset(): Promise<ScenarioResetOutcome> {
    await this.options.beforeWrite?.();
    if (this.options.mode === 'canonical') return this.#canonical('configured to reset canonically (BDD_RESET=canonical)');
    if (!this.#trusted) return this.#canonical("the run's first reset installs its change tracking");
    let client: Client;
    try {
      client = await this.#connection();
    } catch (error) {
      return this.#canonical(`no connection for the fast reset: ${(error as Error).message}`);
    }
    let result;
    try {
      result = await fastReset(client, this.options.fast);
    } catch (error) {
      await this.#drop();
      return this.#canonical(`the fast reset lost its connection: ${(error as Error).message}`);
    }
    if (result.fallback !== undefined) return this.#canonical(result.fallback);
    const outcome: ScenarioResetOutcome = {
      path: 'fast',
      ms: result.ms,
      summary: `sandbox reset to the baseline in ${Math.round(result.ms)} ms (fast: ${result.tables.length} table(s), ${result.removed} row(s) removed, ${result.inserted} re-inserted, ${result.sequences.length} sequence(s))`,
    };
    if (this.#verifier) {
      const verification = await this.#verifier.verify(client);
      outcome.verifyMs = verification.ms;
      if (verification.differences.length) {
        await this.#canonical('the verification after the fast reset found differences');
        throw new FastResetVerificationError(verification.differences);
      }
      outcome.summary += `; verified equal to the baseline in ${Math.round(verification.ms)} ms (${verification.hashed} table(s) hashed, ${verification.proven} untouched since the last proof)`;
    }
    return outcome;
  }

  async close(): Promise<void> {
    await this.#drop();
  }

  async #canonical(reason: string): Promise<ScenarioResetOutcome> {
    const { ms } = await this.options.canonical();
    this.#trusted = true;
    return { path: 'canonical', ms, reason, summary: `sandbox reset to the golden in ${Math.round(ms)} ms (canonical: ${reason})` };
  }

  async #connection(): Promise<Client> {
    if (this.#client) return this.#client;
    const client = await connect(this.options.runtime, this.options.connectTimeoutMs);
    try {
      await assertIsSandbox(client, this.options.identity);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('error', () => void this.#drop());
    this.#client = client;
    return client;
  }

  async #drop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
