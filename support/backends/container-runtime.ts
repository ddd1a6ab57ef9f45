import type * as Testcontainers from 'testcontainers';

/** The image the container backend runs unless told otherwise: built offline by .ci/container/build-postgres-image.sh. */
export const DEFAULT_CONTAINER_IMAGE = 'erp-sandbox-bdd/postgres:15';

export type ContainerRuntimeProbe = { usable: true } | { usable: false; reason: string };

export interface ContainerImageChoice {
  image: string;
  /** BDD_CONTAINER_PULL=allow: pull the image when it is not local. Never pulled otherwise. */
  allowPull: boolean;
}

/**
 * testcontainers reads these when it first talks to the runtime. Ryuk, its reaper, is an image that
 * cannot be pulled here (and would make the daemon reach for a registry); the harness removes its
 * containers itself. The host override keeps every connection on loopback. Values set by the user win.
 */
export function prepareTestcontainersEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}

/** testcontainers takes about 0.3 s to load: only runs that use the container backend pay for it. */
export async function loadTestcontainers(): Promise<typeof Testcontainers> {
  prepareTestcontainersEnvironment();
  return import('testcontainers');
}

/**
 * Whether the container backend can start here: a container runtime answers, and `image` is present
 * locally (or may be pulled). Never pulls. Answers within a fraction of a second when no runtime runs.
 */
export async function probeContainerRuntime(image: string, allowPull = false): Promise<ContainerRuntimeProbe> {
  const { getContainerRuntimeClient, ImageName } = await loadTestcontainers();
  let client: Testcontainers.ContainerRuntimeClient;
  try {
    // Trying the client, not looking for a socket file: the socket may exist while no daemon answers.
    client = await getContainerRuntimeClient();
  } catch (error) {
    return {
      usable: false,
      reason: `no container runtime answered (${oneLine(error)}); start one (as root: bash .ci/container/start-dockerd.sh)`,
    };
  }
  let exists: boolean;
  try {
    exists = await client.image.exists(ImageName.fromString(image));
  } catch (error) {
    return { usable: false, reason: `the container runtime could not say whether image ${image} is present (${oneLine(error)})` };
  }
  if (exists || allowPull) return { usable: true };
  const build = image === DEFAULT_CONTAINER_IMAGE ? 'build it offline with bash .ci/container/build-postgres-image.sh, or ' : '';
  return {
    usable: false,
    reason: `image ${image} is not present locally and pulling is not allowed (${build}BDD_CONTAINER_PULL=allow to pull)`,
  };
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').map((line) => line.trim()).filter(Boolean).join(' ').slice(0, 300);
}
