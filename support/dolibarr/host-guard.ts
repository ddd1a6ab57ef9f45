import { Agent, Dispatcher } from 'undici';
import { pathWithoutQuery } from './redact';

/**
 * Thrown (through the dispatch handler) when a request targets any origin other
 * than the one sandbox origin the dispatcher was built for. Nothing was sent.
 */
export class HostGuardError extends Error {
  override readonly name = 'HostGuardError';
  readonly code = 'ERR_HOST_GUARD_REFUSED';

  constructor(
    /** The origin the request tried to reach, or a description if it had none. */
    readonly refusedOrigin: string,
    /** The only origin this dispatcher lets through. */
    readonly allowedOrigin: string,
    /** Request method. */
    readonly method: string,
    /** Request path, query string removed. */
    readonly path: string,
  ) {
    super(
      `Host guard refused ${method} ${path} to ${refusedOrigin}: only the sandbox origin ${allowedOrigin} may be contacted. ` +
        'Nothing was sent. Check how the URL was built (base URL, a redirect target, an absolute path) and point it at the sandbox.',
    );
  }
}

/**
 * Canonical origin (scheme://host[:port], default port dropped, host lower-cased)
 * of an http(s) URL or origin string. Throws on anything else.
 */
export function normalizeOrigin(input: string | URL): string {
  let url: URL;
  try {
    url = input instanceof URL ? input : new URL(input);
  } catch {
    throw new TypeError(`Not an absolute http(s) URL: ${JSON.stringify(String(input))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Only http and https origins are supported, got ${url.protocol}//${url.host}`);
  }
  return url.origin;
}

/** The origin a dispatch would actually contact, or a description of why it has none. */
function targetOrigin(opts: Dispatcher.DispatchOptions): { origin: string; ok: boolean } {
  if (opts.origin === undefined || opts.origin === null || opts.origin === '') {
    return { origin: '(no origin)', ok: false };
  }
  try {
    return { origin: normalizeOrigin(opts.origin), ok: true };
  } catch {
    return { origin: String(opts.origin), ok: false };
  }
}

// An absolute-form path ("http://other/x") names a second host in the request line;
// treat its origin as a target too.
function pathOrigin(path: string): string | undefined {
  if (path.startsWith('/')) return undefined;
  try {
    return normalizeOrigin(path);
  } catch {
    return `(unparseable path ${JSON.stringify(pathWithoutQuery(path))})`;
  }
}

/** A finished controller for handlers that get an error before any request existed. */
function refusedController(reason: Error): Dispatcher.DispatchController {
  return {
    aborted: true,
    paused: false,
    reason,
    abort: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
  };
}

/**
 * An undici interceptor that refuses, before anything is written to a socket,
 * every request whose origin is not exactly `allowedOrigin`.
 */
export function hostGuardInterceptor(allowedOrigin: string | URL): Dispatcher.DispatcherComposeInterceptor {
  const allowed = normalizeOrigin(allowedOrigin);
  return (dispatch) => (opts, handler) => {
    const target = targetOrigin(opts);
    const fromPath = pathOrigin(opts.path);
    let refused: string | undefined;
    if (!target.ok || target.origin !== allowed) refused = target.origin;
    else if (fromPath !== undefined && fromPath !== allowed) refused = fromPath;
    if (refused === undefined) return dispatch(opts, handler);

    const err = new HostGuardError(refused, allowed, String(opts.method), pathWithoutQuery(opts.path));
    if (typeof handler.onResponseError !== 'function') throw err;
    handler.onResponseError(refusedController(err), err);
    return true;
  };
}

/**
 * Wraps `inner` (default: a fresh undici Agent) so that it can only ever reach
 * `allowedOrigin`. The check runs in the dispatch path, so it also covers any
 * code that builds a URL by hand. Closing or destroying the result closes
 * `inner`.
 *
 * Put the guard outermost: an interceptor composed *inside* `inner` that issues
 * its own follow-up requests (e.g. undici's redirect interceptor) would bypass it.
 */
export function createGuardedDispatcher(allowedOrigin: string | URL, inner: Dispatcher = new Agent()): Dispatcher {
  return inner.compose(hostGuardInterceptor(allowedOrigin));
}
