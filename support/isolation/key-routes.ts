import { inspect } from 'node:util';
import { DolibarrClient, createGuardedDispatcher } from '../dolibarr';
import { thirdPartyPath } from './loopback-dolibarr';

/** How a call made with the agent's key ended: answered with a status, or an error before or instead of an answer. */
export type CallOutcome = { answered: true; status: number } | { answered: false; error: Error };

const settle = (call: Promise<number>): Promise<CallOutcome> =>
  call.then((status) => ({ answered: true, status }) as const, (error: unknown) => ({ answered: false, error: error instanceof Error ? error : new Error(String(error)) }) as const);

/**
 * The agent's Dolibarr client, set up for `sandboxOrigin` with its default transport, fetching third party `id`.
 * This is how the agent reaches Dolibarr.
 */
export async function fetchThirdParty(sandboxOrigin: string, apiKey: string, id: number): Promise<CallOutcome> {
  const client = new DolibarrClient({ baseUrl: sandboxOrigin, apiKey, retries: 0, timeoutMs: 5_000 });
  try {
    return await settle(client.thirdParties.get(id).then(() => 200));
  } finally {
    await client.close();
  }
}

/**
 * A call carrying the agent's key, addressed to `targetOrigin` through the transport the agent's client uses:
 * a connection pool behind the host guard pinned to `sandboxOrigin` (how a URL built by hand would travel).
 */
export async function callThroughSandboxTransport(sandboxOrigin: string, targetOrigin: string, apiKey: string, id: number): Promise<CallOutcome> {
  const transport = createGuardedDispatcher(sandboxOrigin);
  try {
    return await settle(
      transport.request({ origin: targetOrigin, path: thirdPartyPath(id), method: 'GET', headers: { DOLAPIKEY: apiKey, Accept: 'application/json' } })
        .then(async (res) => {
          await res.body.text();
          return res.statusCode;
        }),
    );
  } finally {
    await transport.close();
  }
}

/** Which of the ways an error gets printed or serialised show `secret` (raw, URL-encoded or JSON-escaped); empty when none does. */
export function renderingsShowing(error: Error | undefined, secret: string): string[] {
  if (!error) return [];
  const renderings: Record<string, string> = {
    'String()': String(error),
    message: error.message,
    stack: error.stack ?? '',
    'util.inspect': inspect(error, { depth: 10, showHidden: true }),
    'JSON.stringify': JSON.stringify(error) ?? '',
  };
  const spellings = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
  return Object.entries(renderings).filter(([, text]) => spellings.some((s) => text.includes(s))).map(([name]) => name);
}
