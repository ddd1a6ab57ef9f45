/*
 * Retry rule (the reason this file exists):
 *  - GET is safe to repeat: it is retried, up to `retries` times with a small
 *    exponential backoff, on HTTP 5xx and on connection failures and timeouts.
 *  - POST/PUT/DELETE change the ERP (a repeated create or validate can create or
 *    number a second invoice). They are retried ONLY when the failure proves the
 *    request never reached Dolibarr: no TCP connection was ever established
 *    (connection refused, DNS failure, connect timeout). Never after any HTTP
 *    answer (5xx included), a headers/body timeout, our own time bound, or a
 *    socket reset, since the server may already have acted.
 *  - Nothing is retried after a host-guard refusal, an invalid argument or any
 *    error this file does not recognise.
 */

/** How far a failed attempt got. */
export type FailurePhase =
  /** Proven never sent: no connection to the server was established. */
  | 'not-sent'
  /** Connection failure or timeout after the request may have been written. */
  | 'maybe-sent'
  /** Not a network failure (guard, bad argument, unknown): never retried. */
  | 'fatal';

export interface ClassifiedFailure {
  phase: FailurePhase;
  code: string | undefined;
  timedOut: boolean;
}

// Raised only while resolving or connecting, i.e. before a socket exists.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'UND_ERR_CONNECT_TIMEOUT']);
// Also pre-connection, but only when raised by the connect() syscall itself.
const NOT_SENT_IF_CONNECT_SYSCALL = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL']);
const MAYBE_SENT_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_ABORTED',
  'ERR_DOLIBARR_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ERR_DOLIBARR_TIMEOUT', 'ETIMEDOUT']);

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

function phaseOf(err: unknown): FailurePhase {
  const code = field(err, 'code');
  if (typeof code === 'string') {
    if (NOT_SENT_CODES.has(code)) return 'not-sent';
    if (NOT_SENT_IF_CONNECT_SYSCALL.has(code) && field(err, 'syscall') === 'connect') return 'not-sent';
    if (MAYBE_SENT_CODES.has(code)) return 'maybe-sent';
  }
  // Happy-eyeballs connects report one AggregateError for all addresses tried.
  const inner = field(err, 'errors');
  if (Array.isArray(inner) && inner.length > 0) {
    const phases = inner.map(phaseOf);
    if (phases.every((p) => p === 'not-sent')) return 'not-sent';
    if (phases.every((p) => p !== 'fatal')) return 'maybe-sent';
  }
  return 'fatal';
}

/** Classifies an error thrown by an attempt (never an HTTP status). */
export function classifyFailure(err: unknown): ClassifiedFailure {
  const code = field(err, 'code');
  const phase = phaseOf(err);
  return {
    phase,
    code: typeof code === 'string' ? code : undefined,
    timedOut: typeof code === 'string' && TIMEOUT_CODES.has(code),
  };
}

/** True for methods that are retried on any connection failure and on 5xx. */
export function isRetriableRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** Whether a thrown failure may be retried for this method (the budget is checked by the caller). */
export function mayRetryFailure(method: string, failure: ClassifiedFailure): boolean {
  if (failure.phase === 'not-sent') return true;
  return failure.phase === 'maybe-sent' && isRetriableRead(method);
}

/** Whether an HTTP answer may be retried for this method: only a read, only on 5xx. */
export function mayRetryStatus(method: string, status: number): boolean {
  return isRetriableRead(method) && status >= 500 && status <= 599;
}

/** Delay before retry number `retry` (1-based): base, 2×base, 4×base ... */
export function backoffMs(retry: number, baseMs: number): number {
  return baseMs * 2 ** (retry - 1);
}
