import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_CONTAINER_IMAGE } from './backends/container-runtime';
import { assertPlainName } from './db/ident';
import { redact, registerSecret } from './db/redact';

export type BackendName = 'auto' | 'local' | 'container' | 'live';
export type FixtureScale = 'small' | 'large';

/** Every setting the harness reads, with its default and meaning. The README's table lists exactly these. */
export const SETTINGS = {
  BDD_BACKEND: { default: 'auto', doc: 'Where the sandbox runs: `auto` (the container backend when a runtime answers and the image is present, else local), `local`, `container` or `live`. The `live` profile sets `live`.' },
  BDD_CONTAINER_IMAGE: { default: '`erp-sandbox-bdd/postgres:15`', doc: '`container` only: PostgreSQL image to run, with pg_dump, pg_restore and psql on its PATH. The default is built offline by `.ci/container/build-postgres-image.sh`.' },
  BDD_CONTAINER_PULL: { default: '(unset)', doc: '`container` only: set to `allow` to pull the image when it is not present locally. Never pulled otherwise.' },
  BDD_GOLDEN: { default: '(seeded from production in this run)', doc: 'Path to a golden archive (`pg_dump -Fc`) to reset to, with its manifest beside it as `<path>.manifest.json`. Required on `live`.' },
  BDD_GOLDEN_UNVERIFIED: { default: '(unset)', doc: 'Set to `accept` to use a golden that has no manifest. Every report then marks the run as unverified.' },
  BDD_FIXTURE_SCALE: { default: 'small', doc: 'Size of the production fixture on clusters the harness starts: `small` (quick suite) or `large` (about 400 tables and 1M rows, for benchmarks).' },
  BDD_PG_BIN: { default: 'newest `/usr/lib/postgresql/*/bin`, else `PATH`', doc: 'Directory holding `pg_dump`, `pg_restore`, `psql` (and `initdb`, `pg_ctl`, `postgres` for the local backend).' },
  BDD_PGHOST: { default: '(none)', doc: '`live` only: host of the sandbox server. Connect directly, not through a transaction-mode pooler.' },
  BDD_PGPORT: { default: '5432', doc: '`live` only: port of the sandbox server.' },
  BDD_PGUSER: { default: '(none)', doc: '`live` only: the runtime login role, a member of the sandbox owner role and nothing more.' },
  BDD_PGPASSWORD: { default: '(none)', doc: '`live` only: its password. Never printed.' },
  BDD_SERVER_ID: { default: '(read from the cluster the harness starts)', doc: "`live`: required. The sandbox server's system identifier (`SELECT system_identifier FROM pg_control_system()`); the harness refuses any server that does not have it." },
  BDD_SANDBOX_DB: { default: 'erp-sandbox', doc: 'Name of the sandbox database. The harness refuses to reset any other.' },
  BDD_SANDBOX_OWNER: { default: 'erp_sandbox_role', doc: 'NOLOGIN role that owns the sandbox database and everything in it; the reset runs `DROP OWNED BY` it.' },
  BDD_PROD_DB: { default: 'erp', doc: 'Name of the production database, which the harness never writes to.' },
  BDD_PROD_OWNER: { default: 'erp_role', doc: 'Role owning production; the runtime role must not be a member of it.' },
  BDD_APP_SCHEMA: { default: 'public', doc: 'Schema holding the application (Dolibarr) objects.' },
  BDD_APP_TABLES: { default: 'llx\\_%', doc: 'SQL LIKE pattern of the application tables in that schema.' },
  BDD_APP_ROLE: { default: '`erp_sandbox_writer` on clusters the harness starts, none on `live`', doc: 'Role the post-reset steps grant read/write on every application table and sequence to (the role Dolibarr connects with). `none` for no grants.' },
  BDD_DOLIBARR_URL: { default: '(none: writes go straight to the tables)', doc: 'Root URL of the sandbox Dolibarr (its API is `<url>/api/index.php`): the agent then writes through the REST API, and the HTTP host-guard refuses every other origin. `stand-in` starts the loopback Dolibarr stand-in of the test tree (CI). Unset: the same writes are applied as the runtime role with the effects the API would have.' },
  BDD_DOLIBARR_KEY: { default: '(generated per run)', doc: "The agent's sandbox API key, written into its Dolibarr user after every reset. Set only where the sandbox Dolibarr expects a fixed key. Never printed." },
  BDD_AGENT_LOGIN: { default: 'ai_agent_sandbox', doc: "Dolibarr login of the agent's user, made to exist after every reset: active, not admin, no password, only third-party, product and invoice rights." },
  BDD_RUN_LOCK_WAIT_MS: { default: '0', doc: 'How long a run waits for another run holding the sandbox (the run lock) before giving up; 0 stops at once, naming the holder (host, process, start time).' },
  BDD_BASELINE_SCHEMA: { default: 'erp_sandbox_bdd', doc: 'Harness-owned schema in the sandbox database holding the baseline copy the diff compares with; recreated by every reset, never part of the application scope.' },
  BDD_RESET: { default: 'fast', doc: 'How the sandbox goes back to the golden before each scenario: `fast` (undo only what the change tracking recorded since the last reset, and the canonical reset whenever it cannot be sure) or `canonical` (the full restore every time).' },
  BDD_RESET_VERIFY: { default: 'on', doc: 'After every fast reset, prove that the whole sandbox equals the baseline (catalog, sequences, and the rows of every table touched since the last proof) and fail the scenario on a difference. `off` for nightly or benchmark runs.' },
  BDD_DIFF_IGNORE: { default: 'tms,datec,date_creation,date_valid,import_key', doc: 'Comma-separated columns whose changes the diff ignores (set by triggers or clocks, different on every run).' },
  BDD_CONNECT_TIMEOUT_MS: { default: '10000', doc: 'Bound on every connection attempt.' },
  BDD_LOCK_TIMEOUT_MS: { default: '10000', doc: 'How long a reset waits for locks held by other sessions (a live Dolibarr in a transaction) before giving up.' },
  BDD_REPORTS_DIR: { default: 'reports', doc: 'Where the run writes its reports and golden manifests of this run.' },
} as const;

export type SettingName = keyof typeof SETTINGS;

export interface HarnessConfig {
  backend: BackendName;
  golden: { path?: string; acceptUnverified: boolean };
  container: { image: string; allowPull: boolean };
  fixtureScale: FixtureScale;
  pgBin?: string;
  live?: { host: string; port: number; user: string; password: string; serverId: string };
  sandboxDatabase: string;
  sandboxOwner: string;
  prodDatabase: string;
  prodOwner: string;
  appSchema: string;
  appTablePattern: string;
  /** undefined: backend default; null: no grants. */
  appRole: string | null | undefined;
  /** undefined: the SQL write path; 'stand-in': the loopback stand-in; else the sandbox Dolibarr's root URL. */
  dolibarrUrl?: string;
  agent: { login: string; apiKey?: string };
  baselineSchema: string;
  /** The reset before each scenario: fast (with the canonical one as fallback) or always canonical; verified after each fast reset or not. */
  reset: { mode: 'fast' | 'canonical'; verify: boolean };
  diffIgnoredColumns: string[];
  connectTimeoutMs: number;
  lockTimeoutMs: number;
  runLockWaitMs: number;
  reportsDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`The harness configuration is not usable; nothing was started:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Builds and validates the configuration from the environment and the cucumber profile's world parameters,
 * before anything touches a database. All problems are reported at once.
 */
export function loadConfig(env: Env = process.env, worldParameters: { backend?: string } = {}): HarnessConfig {
  const problems: string[] = [];
  const get = (name: SettingName): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const oneOf = <T extends string>(name: string, value: string, allowed: readonly T[]): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name}=${JSON.stringify(value)} is not one of ${allowed.join(', ')}.`);
    return allowed[0];
  };
  const integer = (name: SettingName, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}.`);
      return fallback;
    }
    return value;
  };
  const name = (setting: SettingName, fallback: string): string => {
    const value = get(setting) ?? fallback;
    try {
      return assertPlainName(setting, value);
    } catch (error) {
      problems.push((error as Error).message);
      return fallback;
    }
  };

  const backends = ['auto', 'local', 'container', 'live'] as const;
  const fromEnv = get('BDD_BACKEND');
  const fromProfile = worldParameters.backend;
  if (fromEnv && fromProfile && fromEnv !== fromProfile) {
    problems.push(`BDD_BACKEND=${fromEnv} contradicts the cucumber profile, which selects the ${fromProfile} backend. Unset one of them.`);
  }
  const backend = oneOf('BDD_BACKEND', fromProfile ?? fromEnv ?? 'auto', backends);

  const goldenRaw = get('BDD_GOLDEN');
  const goldenPath = goldenRaw ? (isAbsolute(goldenRaw) ? goldenRaw : resolve(goldenRaw)) : undefined;
  const unverified = get('BDD_GOLDEN_UNVERIFIED');
  if (unverified !== undefined && unverified !== 'accept') {
    problems.push(`BDD_GOLDEN_UNVERIFIED=${JSON.stringify(unverified)}: the only accepted value is "accept" (use a golden without a manifest, marked unverified in every report).`);
  }

  const pull = get('BDD_CONTAINER_PULL');
  if (pull !== undefined && pull !== 'allow') problems.push(`BDD_CONTAINER_PULL=${JSON.stringify(pull)}: the only accepted value is "allow" (pull the container image when it is not present locally).`);

  let live: HarnessConfig['live'];
  if (backend === 'live') {
    const host = get('BDD_PGHOST');
    const user = get('BDD_PGUSER');
    const password = env.BDD_PGPASSWORD;
    const missing = [
      !host && 'BDD_PGHOST (the sandbox server host)',
      !user && 'BDD_PGUSER (the runtime login role)',
      !password && 'BDD_PGPASSWORD (its password)',
      !goldenPath && 'BDD_GOLDEN (path of the golden archive from the production seed job)',
      !get('BDD_SERVER_ID') && "BDD_SERVER_ID (the sandbox server's system identifier, which proves the harness talks to the right cluster)",
    ].filter(Boolean);
    if (missing.length) problems.push(`The live backend needs ${missing.join(', ')}. It never provisions anything, so it must be told where the sandbox is.`);
    const serverId = get('BDD_SERVER_ID') ?? '';
    if (serverId && !/^\d{1,20}$/.test(serverId)) problems.push(`BDD_SERVER_ID=${JSON.stringify(serverId)} is not a system identifier: expected the digits printed by SELECT system_identifier FROM pg_control_system().`);
    live = { host: host ?? '', port: integer('BDD_PGPORT', 5432, 1, 65535), user: user ? name('BDD_PGUSER', user) : '', password: password ?? '', serverId };
    registerSecret(password);
  }

  const appRoleRaw = get('BDD_APP_ROLE');
  const appRole = appRoleRaw === undefined ? undefined : appRoleRaw === 'none' ? null : name('BDD_APP_ROLE', appRoleRaw);

  const config: HarnessConfig = {
    backend,
    golden: { path: goldenPath, acceptUnverified: unverified === 'accept' },
    container: { image: get('BDD_CONTAINER_IMAGE') ?? DEFAULT_CONTAINER_IMAGE, allowPull: pull === 'allow' },
    fixtureScale: oneOf('BDD_FIXTURE_SCALE', get('BDD_FIXTURE_SCALE') ?? 'small', ['small', 'large'] as const),
    pgBin: get('BDD_PG_BIN'),
    live,
    sandboxDatabase: name('BDD_SANDBOX_DB', 'erp-sandbox'),
    sandboxOwner: name('BDD_SANDBOX_OWNER', 'erp_sandbox_role'),
    prodDatabase: name('BDD_PROD_DB', 'erp'),
    prodOwner: name('BDD_PROD_OWNER', 'erp_role'),
    appSchema: name('BDD_APP_SCHEMA', 'public'),
    appTablePattern: get('BDD_APP_TABLES') ?? 'llx\\_%',
    appRole,
    dolibarrUrl: dolibarrUrl(get('BDD_DOLIBARR_URL'), problems),
    agent: { login: get('BDD_AGENT_LOGIN') ?? 'ai_agent_sandbox', apiKey: env.BDD_DOLIBARR_KEY || undefined },
    baselineSchema: name('BDD_BASELINE_SCHEMA', 'erp_sandbox_bdd'),
    reset: {
      mode: oneOf('BDD_RESET', get('BDD_RESET') ?? 'fast', ['fast', 'canonical'] as const),
      verify: oneOf('BDD_RESET_VERIFY', get('BDD_RESET_VERIFY') ?? 'on', ['on', 'off'] as const) === 'on',
    },
    diffIgnoredColumns: (get('BDD_DIFF_IGNORE') ?? 'tms,datec,date_creation,date_valid,import_key').split(',').map((c) => c.trim()).filter(Boolean),
    connectTimeoutMs: integer('BDD_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    lockTimeoutMs: integer('BDD_LOCK_TIMEOUT_MS', 10_000, 1, 3_600_000),
    runLockWaitMs: integer('BDD_RUN_LOCK_WAIT_MS', 0, 0, 86_400_000),
    reportsDir: resolve(get('BDD_REPORTS_DIR') ?? 'reports'),
  };
  if (config.baselineSchema === config.appSchema) {
    problems.push(`BDD_BASELINE_SCHEMA and BDD_APP_SCHEMA are both ${JSON.stringify(config.appSchema)}: the baseline copy must live outside the application schema.`);
  }
  if (config.sandboxDatabase === config.prodDatabase) {
    problems.push(`BDD_SANDBOX_DB and BDD_PROD_DB are both ${JSON.stringify(config.prodDatabase)}: the sandbox must be a database other than production.`);
  }
  registerSecret(config.agent.apiKey);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function dolibarrUrl(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined || raw === 'stand-in') return raw;
  try {
    const url = new URL(raw);
    if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) throw new Error('not a plain http(s) root');
    return url.toString().replace(/\/$/, '');
  } catch {
    problems.push(`BDD_DOLIBARR_URL=${JSON.stringify(redact(raw))} is not the root URL of a Dolibarr: expected http(s)://host[:port][/path], without credentials, query or fragment (or "stand-in").`);
    return undefined;
  }
}
