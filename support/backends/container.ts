import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import type { StartedTestContainer } from 'testcontainers';
import { onInterrupt } from '../cluster/exit-cleanup';
import type { HarnessConfig } from '../config';
import { registerSecret, redact } from '../db/redact';
import { ContainerPgTools } from '../pgtools/container-tools';
import type { ServerLog, StartedBackend } from './backend';
import { loadTestcontainers, probeContainerRuntime, type ContainerImageChoice } from './container-runtime';
import { prepareProductionShapedServer } from './production-shaped';
import { parseConnections } from './server-log';
import { freeLoopbackPort, processAlive } from '../cluster/host';

const SUPERUSER = 'postgres';
const STARTUP_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;
const LABEL = {
  ownerPid: 'erp-sandbox-bdd.owner-pid',
  ownerHost: 'erp-sandbox-bdd.owner-host',
  startedAt: 'erp-sandbox-bdd.started-at',
} as const;
/** The official image logs it once for its temporary init server, then once for the real one. */
const READY = /database system is ready to accept connections/;

/**
 * A throwaway PostgreSQL container (testcontainers, host networking, 127.0.0.1 only), laid out like
 * production and loaded with the production fixture; pg_dump, pg_restore and psql run inside it.
 * Never pulls `image` unless `allowPull`. Removed by stop(), at exit, on Ctrl-C; one left by a killed
 * run is removed by the next start.
 */
export async function startContainerBackend(config: HarnessConfig, { image, allowPull }: ContainerImageChoice, log: (line: string) => void = () => undefined): Promise<StartedBackend> {
  const probe = await probeContainerRuntime(image, allowPull);
  if (!probe.usable) {
    throw new Error(`The container backend cannot start: ${probe.reason}. Other ways out: BDD_BACKEND=local (PostgreSQL binaries on this machine) or BDD_BACKEND=live.`);
  }
  for (const line of await sweepStaleContainers()) log(line);

  const started = await startServer(image);
  try {
    const tools = await ContainerPgTools.create(started.container, image);
    const { roles: _roles, ...connections } = await prepareProductionShapedServer(config, { host: '127.0.0.1', port: started.port, user: SUPERUSER, password: started.password });
    return {
      name: 'container',
      description: `PostgreSQL ${tools.version} container ${started.container.getId().slice(0, 12)} from image ${image} at 127.0.0.1:${started.port} ` +
        `(host network), started ${started.at.toISOString()}, ready in ${started.readyMs} ms`,
      tools,
      ...connections,
      serverLog: started.serverLog,
      stop: started.stop,
    };
  } catch (error) {
    await started.stop();
    throw error;
  }
}

interface StartedServer {
  container: StartedTestContainer;
  port: number;
  password: string;
  at: Date;
  readyMs: number;
  serverLog: ServerLog;
  stop(): Promise<void>;
}

async function startServer(image: string): Promise<StartedServer> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await loadTestcontainers();
  const cliEnv = cliEnvFor((await getContainerRuntimeClient()).container.dockerode.modem);
  const password = randomBytes(24).toString('base64url');
  registerSecret(password);

  /** Knows its container's id from creation on, so that an interrupted start leaves nothing running. */
  class TrackedContainer extends GenericContainer {
    id?: string;
    unregister: () => void = () => undefined;
    protected override async containerCreated(id: string): Promise<void> {
      this.id = id;
      this.unregister = removeAtExit(id, cliEnv);
    }
  }

  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const serverLog = new StreamServerLog();
    const at = new Date();
    const definition = new TrackedContainer(image)
      .withNetworkMode('host')
      .withEnvironment({ POSTGRES_USER: SUPERUSER, POSTGRES_PASSWORD: password, POSTGRES_DB: SUPERUSER, PGPORT: String(port) })
      // Set here too, not only by our image's entrypoint: loopback only and the connection log whatever
      // the image; UTC timestamps because the server log is read by time (see StreamServerLog).
      .withCommand(['postgres', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'log_connections=on', '-c', 'log_timezone=UTC', '-c', 'log_line_prefix=%m [%p] %q%u@%d '])
      .withLabels({ [LABEL.ownerPid]: String(process.pid), [LABEL.ownerHost]: hostname(), [LABEL.startedAt]: at.toISOString() })
      .withLogConsumer((stream: Readable) => serverLog.follow(stream))
      .withWaitStrategy(Wait.forLogMessage(READY, 2))
      .withStartupTimeout(STARTUP_TIMEOUT_MS);
    try {
      const container = await definition.start();
      const readyMs = Date.now() - at.getTime();
      return {
        container, port, password, at, readyMs, serverLog,
        async stop() {
          definition.unregister();
          await container.stop({ remove: true, removeVolumes: true, timeout: 0 }).catch(() => removeSync(container.getId(), cliEnv));
        },
      };
    } catch (error) {
      definition.unregister();
      if (definition.id) removeSync(definition.id, cliEnv);
      // Another process may have taken the port between our probe and the server's bind.
      if (attempt < START_ATTEMPTS && /could not bind|Address already in use/i.test(serverLog.tail())) continue;
      throw new Error(
        redact(`The PostgreSQL container from image ${image} did not become ready on 127.0.0.1:${port} (expected "${READY.source}" ` +
          `twice in its log within ${STARTUP_TIMEOUT_MS / 1000} s): ${(error as Error).message}\nLast lines of its log:\n${serverLog.tail() || '(none)'}`),
        { cause: error },
      );
    }
  }
}

/** Docker's CLI, synchronously: the only way to act from an exit or signal handler. */
function removeSync(id: string, cliEnv: NodeJS.ProcessEnv): void {
  try {
    execFileSync('docker', ['rm', '--force', '--volumes', id], { stdio: 'ignore', timeout: 30_000, env: cliEnv });
  } catch {
    // No CLI or no daemon: the next start's sweep removes it by its owner label.
  }
}

/**
 * The CLI's environment pointing at the daemon testcontainers found: it falls back to the default
 * socket when DOCKER_HOST does not answer, where the CLI would obey DOCKER_HOST and miss the container.
 */
function cliEnvFor(dockerModem: object): NodeJS.ProcessEnv {
  // docker-modem keeps its connection options as untyped properties.
  const modem = dockerModem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  const env = { ...process.env };
  delete env.DOCKER_CONTEXT;
  if (typeof modem.socketPath === 'string' && modem.socketPath) env.DOCKER_HOST = `unix://${modem.socketPath}`;
  else if (typeof modem.host === 'string' && modem.host && modem.protocol !== 'ssh') env.DOCKER_HOST = `tcp://${modem.host}:${String(modem.port ?? 2375)}`;
  return env;
}

/** Removes the container on Ctrl-C/SIGTERM (exit-cleanup) and on any exit of the process, crashes included. */
function removeAtExit(id: string, cliEnv: NodeJS.ProcessEnv): () => void {
  const onExit = () => removeSync(id, cliEnv);
  const unregisterInterrupt = onInterrupt(onExit);
  process.once('exit', onExit);
  return () => {
    unregisterInterrupt();
    process.removeListener('exit', onExit);
  };
}

/**
 * Removes containers left by harness runs that were killed (their owner process on this host is gone),
 * as sweepStaleClusters does for local clusters. Returns a line per container removed.
 */
export async function sweepStaleContainers(): Promise<string[]> {
  const { getContainerRuntimeClient } = await loadTestcontainers();
  const client = await getContainerRuntimeClient();
  const found = await client.container.dockerode.listContainers({ all: true, filters: { label: [LABEL.ownerPid] } });
  const removed: string[] = [];
  for (const info of found) {
    const pid = Number(info.Labels[LABEL.ownerPid]);
    if (info.Labels[LABEL.ownerHost] !== hostname() || !Number.isInteger(pid) || processAlive(pid)) continue;
    await client.container.dockerode.getContainer(info.Id).remove({ force: true, v: true });
    removed.push(`removed a PostgreSQL container left by a run that was killed (pid ${pid}, started ${info.Labels[LABEL.startedAt] ?? 'at an unknown time'}): ${info.Id.slice(0, 12)}`);
  }
  return removed;
}



/**
 * The server log as the container's log stream delivers it. Positions are times, not offsets: the stream
 * may deliver a line a moment after the connection it records, and a line logged before mark() must
 * never count as after it. The server's clock is this machine's (same kernel).
 */
export class StreamServerLog implements ServerLog {
  private readonly connections: { at: number; user: string; database: string }[] = [];
  private partial = '';
  private recent: string[] = [];

  follow(stream: Readable): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.feed(chunk));
    stream.on('error', () => undefined);
  }

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.recent.push(line);
      const [connection] = parseConnections(line);
      const stamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) UTC /.exec(line);
      if (connection && stamp) this.connections.push({ at: Date.parse(`${stamp[1]}T${stamp[2]}Z`), ...connection });
    }
    if (this.recent.length > 200) this.recent = this.recent.slice(-40);
  }

  mark(): number {
    return Date.now();
  }

  connectionsSince(mark: number): { user: string; database: string }[] {
    // The log has milliseconds: a connection in the mark's own millisecond counts as after it.
    return this.connections.filter((c) => c.at >= Math.floor(mark)).map(({ user, database }) => ({ user, database }));
  }

  /** The last lines, to explain a failed start. */
  tail(lines = 20): string {
    return [...this.recent, this.partial].filter(Boolean).slice(-lines).join('\n');
  }
}
