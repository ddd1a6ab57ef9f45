import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Dispatcher } from 'undici';
import { Decoder } from './decode';
import { AttemptTimeoutError, DolibarrApiError, DolibarrConnectionError, DolibarrRequestInfo } from './errors';
import { HostGuardError, createGuardedDispatcher, normalizeOrigin } from './host-guard';
import { dolibarrMessageOf, retryNote, statusAdvice } from './messages';
import { createRedactor, pathWithoutQuery, Redactor } from './redact';
import { backoffMs, classifyFailure, ClassifiedFailure, mayRetryFailure, mayRetryStatus } from './retry-policy';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  dispatcher?: Dispatcher;
}

/** One API call: where, what, and what a successful answer must hold. */
export interface CallSpec<T> {
  method: HttpMethod;
  /** Path below the API base, e.g. `/invoices/12/validate`. */
  resource: string;
  body?: unknown;
  /** What success looks like, for messages: "the new invoice id as a bare JSON number". */
  expect: string;
  decode: Decoder<T>;
}

interface Answer {
  status: number;
  text: string;
  location: string | undefined;
}

/** Splits a Dolibarr root URL into its origin and the API base path below it. */
function parseBaseUrl(baseUrl: string): { origin: string; apiBasePath: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl must be an absolute http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(baseUrl)}`);
  }
  if (url.username !== '' || url.password !== '') throw new TypeError('baseUrl must not embed credentials; the API key goes in apiKey');
  if (url.search !== '' || url.hash !== '') throw new TypeError('baseUrl must not carry a query string or fragment');
  const origin = normalizeOrigin(url);
  return { origin, apiBasePath: `${url.pathname.replace(/\/+$/, '')}/api/index.php` };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The HTTP layer under DolibarrClient: guarded dispatcher, per-attempt time
 * bound, bounded retries, JSON decoding, and key-free errors.
 */
export class DolibarrTransport {
  readonly origin: string;
  readonly apiBasePath: string;
  readonly #apiKey: string;
  readonly #redact: Redactor;
  readonly #dispatcher: Dispatcher;
  readonly #ownedAgent: Agent | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;

  constructor(options: TransportOptions) {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') throw new TypeError('apiKey must be a non-empty string');
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
    if (!Number.isInteger(options.retries) || options.retries < 0) throw new RangeError('retries must be a non-negative integer');
    const { origin, apiBasePath } = parseBaseUrl(options.baseUrl);
    this.origin = origin;
    this.apiBasePath = apiBasePath;
    this.#apiKey = options.apiKey;
    this.#redact = createRedactor([options.apiKey]);
    this.#timeoutMs = options.timeoutMs;
    this.#retries = options.retries;
    this.#retryDelayMs = options.retryDelayMs;
    let inner = options.dispatcher;
    if (inner === undefined) {
      // Connect gets half the bound so a dead host surfaces as a connect timeout
      // (provably unsent, hence retriable for writes) rather than our own deadline.
      this.#ownedAgent = new Agent({
        connect: { timeout: Math.max(1, Math.floor(options.timeoutMs / 2)) },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      inner = this.#ownedAgent;
    }
    this.#dispatcher = createGuardedDispatcher(origin, inner);
  }

  /** Performs a call with retries; resolves to the decoded 2xx answer or rejects with a key-free error. */
  async call<T>(spec: CallSpec<T>): Promise<T> {
    const path = `${this.apiBasePath}${spec.resource}`;
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    for (let attempt = 1; ; attempt++) {
      const canRetry = attempt <= this.#retries;
      let answer: Answer;
      try {
        answer = await this.#attempt(spec.method, path, payload);
      } catch (err) {
        if (err instanceof HostGuardError) throw err;
        const failure = classifyFailure(err);
        if (canRetry && mayRetryFailure(spec.method, failure)) {
          await sleep(backoffMs(attempt, this.#retryDelayMs));
          continue;
        }
        throw this.#connectionError(spec, path, attempt, failure, err);
      }
      if (answer.status >= 200 && answer.status < 300) return this.#decode(spec, path, attempt, answer);
      if (canRetry && mayRetryStatus(spec.method, answer.status)) {
        await sleep(backoffMs(attempt, this.#retryDelayMs));
        continue;
      }
      throw this.#statusError(spec, path, attempt, answer);
    }
  }

  /** Closes the Agent this transport created (an injected dispatcher is left to its owner). */
  async close(): Promise<void> {
    await this.#ownedAgent?.close();
  }

  /** One request, bounded by timeoutMs from dispatch to the last body byte. */
  async #attempt(method: HttpMethod, path: string, payload: string | undefined): Promise<Answer> {
    const headers: Record<string, string> = { DOLAPIKEY: this.#apiKey, Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // undici only honours an abort once the request is on a socket; the race also
    // bounds the connect phase of an injected dispatcher.
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const err = new AttemptTimeoutError(this.#timeoutMs);
        controller.abort(err);
        reject(err);
      }, this.#timeoutMs);
    });
    const exchange = (async (): Promise<Answer> => {
      const res = await this.#dispatcher.request({
        origin: this.origin,
        path,
        method,
        headers,
        body: payload ?? null,
        signal: controller.signal,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, location: firstHeader(res.headers.location) };
    })();
    try {
      return await Promise.race([exchange, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  #info(spec: CallSpec<unknown>, path: string, attempts: number): DolibarrRequestInfo {
    return { method: spec.method, path: pathWithoutQuery(path), origin: this.origin, attempts };
  }

  #decode<T>(spec: CallSpec<T>, path: string, attempts: number, answer: Answer): T {
    let value: unknown;
    if (answer.text.trim() !== '') {
      try {
        value = JSON.parse(answer.text);
      } catch {
        return this.#unexpected(spec, path, attempts, answer, `a non-JSON body: ${dolibarrMessageOf(answer.text) ?? ''}`);
      }
    }
    const decoded = spec.decode(value);
    if (decoded.ok) return decoded.value;
    return this.#unexpected(spec, path, attempts, answer, decoded.found);
  }

  #unexpected(spec: CallSpec<unknown>, path: string, attempts: number, answer: Answer, found: string): never {
    const r = this.#redact;
    const info = this.#info(spec, path, attempts);
    throw new DolibarrApiError(
      r(
        `Dolibarr ${spec.method} ${info.path} at ${this.origin}: expected ${spec.expect}, found HTTP ${answer.status} with ${found}. ` +
          `The call was answered, so it is not repeated; fetch the object to see what Dolibarr did, and check the request fields.`,
      ),
      { ...info, status: answer.status, dolibarrMessage: r(dolibarrMessageOf(answer.text) ?? '') || undefined },
    );
  }

  #statusError(spec: CallSpec<unknown>, path: string, attempts: number, answer: Answer): DolibarrApiError {
    const r = this.#redact;
    const info = this.#info(spec, path, attempts);
    const said = dolibarrMessageOf(answer.text);
    const dolibarrMessage = said === undefined ? undefined : r(said);
    const location = answer.location === undefined ? '' : ` redirecting to ${pathWithoutQuery(answer.location)}`;
    const message =
      `Dolibarr ${spec.method} ${info.path} at ${this.origin}: expected ${spec.expect}, found HTTP ${answer.status}${location}` +
      `${dolibarrMessage === undefined ? '' : `: "${dolibarrMessage}"`}. ${statusAdvice(answer.status)} ` +
      retryNote(spec.method, attempts, 'answered');
    return new DolibarrApiError(r(message), { ...info, status: answer.status, dolibarrMessage });
  }

  #connectionError(spec: CallSpec<unknown>, path: string, attempts: number, failure: ClassifiedFailure, err: unknown): DolibarrConnectionError {
    const r = this.#redact;
    const info = this.#info(spec, path, attempts);
    const cause = sanitizedCause(err, r);
    const what = failure.timedOut
      ? `no complete answer within ${this.#timeoutMs} ms (${failure.code ?? 'timeout'})`
      : `${cause.message}${failure.code !== undefined && !cause.message.includes(failure.code) ? ` (${failure.code})` : ''}`;
    const mayHaveReachedServer = failure.phase !== 'not-sent';
    const message =
      `Dolibarr ${spec.method} ${info.path}: expected ${spec.expect} from ${this.origin}, found ${what}. ` +
      `${retryNote(spec.method, attempts, mayHaveReachedServer ? 'maybe-sent' : 'not-sent')} ` +
      `Check that Dolibarr is up and reachable at ${this.origin} (baseUrl, port, container health), then rerun.`;
    return new DolibarrConnectionError(r(message), { ...info, code: failure.code, timedOut: failure.timedOut, mayHaveReachedServer }, cause);
  }
}

/**
 * A copy of a low-level error that is safe to keep as `cause`: undici's errors
 * can quote request headers (MockAgent does), so message and stack are redacted.
 */
function sanitizedCause(err: unknown, redact: Redactor): Error {
  if (!(err instanceof Error)) return new Error(redact(String(err)));
  const nested = err instanceof AggregateError ? err.errors.filter((e): e is Error => e instanceof Error).map((e) => e.message) : [];
  const text = err.message !== '' ? err.message : nested.join('; ') || err.name;
  const copy = new Error(redact(text));
  copy.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  copy.stack = redact(err.stack ?? `${copy.name}: ${copy.message}`);
  return copy;
}
