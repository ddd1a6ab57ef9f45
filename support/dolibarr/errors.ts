/** Where a failed Dolibarr call went and how often it was tried. */
export interface DolibarrRequestInfo {
  /** HTTP method. */
  method: string;
  /** Request path below the origin (e.g. `/api/index.php/invoices/12`), query string removed. */
  path: string;
  /** Sandbox origin, e.g. `http://127.0.0.1:8080`. */
  origin: string;
  /** How many times the request was attempted (1 = no retry). */
  attempts: number;
}

/**
 * Base of every error the Dolibarr client raises about a request. Messages,
 * stacks and fields never contain the API key.
 */
export class DolibarrRequestError extends Error {
  readonly method: string;
  readonly path: string;
  readonly origin: string;
  readonly attempts: number;

  constructor(message: string, info: DolibarrRequestInfo, options?: { cause?: Error }) {
    super(message, options);
    this.method = info.method;
    this.path = info.path;
    this.origin = info.origin;
    this.attempts = info.attempts;
  }
}

/** Dolibarr answered, but not with what the operation expected (non-2xx status or unusable body). */
export class DolibarrApiError extends DolibarrRequestError {
  override readonly name = 'DolibarrApiError';
  /** HTTP status Dolibarr answered with. */
  readonly status: number;
  /** Dolibarr's own `error.message`, else the first 200 characters of the body (redacted); undefined if the body was empty. */
  readonly dolibarrMessage: string | undefined;

  constructor(message: string, info: DolibarrRequestInfo & { status: number; dolibarrMessage: string | undefined }) {
    super(message, info);
    this.status = info.status;
    this.dolibarrMessage = info.dolibarrMessage;
  }
}

/** No usable answer: connection refused, DNS failure, reset, or timeout. */
export class DolibarrConnectionError extends DolibarrRequestError {
  override readonly name = 'DolibarrConnectionError';
  /** The underlying error code (e.g. `ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, `ERR_DOLIBARR_TIMEOUT`), if any. */
  readonly code: string | undefined;
  /** True when the per-attempt time bound ran out. */
  readonly timedOut: boolean;
  /** False only when the failure proves the last attempt never reached Dolibarr. */
  readonly mayHaveReachedServer: boolean;

  constructor(
    message: string,
    info: DolibarrRequestInfo & { code: string | undefined; timedOut: boolean; mayHaveReachedServer: boolean },
    cause?: Error,
  ) {
    super(message, info, cause ? { cause } : undefined);
    this.code = info.code;
    this.timedOut = info.timedOut;
    this.mayHaveReachedServer = info.mayHaveReachedServer;
  }
}

/** Raised inside an attempt when its time bound runs out. */
export class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
  readonly code = 'ERR_DOLIBARR_TIMEOUT';

  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}
