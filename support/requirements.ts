import type { Harness } from './harness';

/**
 * Tags by which a scenario says what it needs beyond the sandbox. A backend without it skips the scenario
 * and says why; it never reports it as passed.
 */
const REQUIREMENTS: Record<string, { has: (h: Harness) => boolean; reason: string }> = {
  '@needs-production': {
    has: (h) => Boolean(h.backend.prodDump && h.backend.prodApp),
    reason: 'it checks production, and this backend holds no production credentials (the live profile is given only the sandbox)',
  },
  '@needs-provisioner': {
    has: (h) => Boolean(h.backend.superuser),
    reason: 'it prepares its case with the provisioner (superuser), which only clusters the harness starts itself have',
  },
  '@needs-server-log': {
    has: (h) => Boolean(h.backend.serverLog),
    reason: "it reads the server's connection log, which only clusters the harness starts itself expose",
  },
  '@needs-manifest': {
    has: (h) => h.golden.verified,
    reason: 'it checks what the manifest records, and this run uses a golden without one (BDD_GOLDEN_UNVERIFIED=accept)',
  },
  '@seeded-in-this-run': {
    has: (h) => !h.config.golden.path,
    reason: 'it compares the golden with the production it was taken from, and this run uses a golden given by path (BDD_GOLDEN)',
  },
  '@fixture': {
    has: (h) => !h.config.golden.path,
    reason: "its expectations are the production fixture's, and this run uses a golden given by path (BDD_GOLDEN)",
  },
};

/** The reason a scenario with these tags cannot run here, or undefined when it can. */
export function missingRequirement(harness: Harness, tags: string[]): string | undefined {
  for (const tag of tags) {
    const requirement = REQUIREMENTS[tag];
    if (requirement && !requirement.has(harness)) return `${tag}: ${requirement.reason}`;
  }
  return undefined;
}
