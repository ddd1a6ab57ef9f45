import { inspect } from 'node:util';
import { Dispatcher } from 'undici';
import { InvoicesApi } from './invoices';
import { ProductsApi } from './products';
import { ThirdPartiesApi } from './thirdparties';
import { DolibarrTransport } from './transport';

/** Options of {@link DolibarrClient}. */
export interface DolibarrClientOptions {
  /** Dolibarr root, e.g. `http://127.0.0.1:8080`; the API is `${baseUrl}/api/index.php`. Its origin is the only one the client may contact. */
  baseUrl: string;
  /** The sandbox agent's API key, sent as `DOLAPIKEY`. Never appears in errors or `util.inspect`. */
  apiKey: string;
  /** Bound on each attempt, from dispatch to the last body byte. Default 10000. */
  timeoutMs?: number;
  /** Extra attempts allowed (see retry-policy.ts for when). Default 2. */
  retries?: number;
  /** Backoff before the first retry, doubled for each further one. Default 100. */
  retryDelayMs?: number;
  /** Transport to send through (tests inject a MockAgent); it is wrapped in the host guard. Default: a private undici Agent. */
  dispatcher?: Dispatcher;
}

/**
 * Typed client for the parts of the Dolibarr REST API the harness drives.
 * Every request passes a host guard pinned to the origin of `baseUrl`.
 */
export class DolibarrClient {
  /** `/thirdparties`: create, get, update, delete. */
  readonly thirdParties: ThirdPartiesApi;
  /** `/products`: create, get, update, delete. */
  readonly products: ProductsApi;
  /** `/invoices`: create, addLine, validate, get. */
  readonly invoices: InvoicesApi;
  readonly #http: DolibarrTransport;

  constructor(options: DolibarrClientOptions) {
    this.#http = new DolibarrTransport({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 2,
      retryDelayMs: options.retryDelayMs ?? 100,
      dispatcher: options.dispatcher,
    });
    this.thirdParties = new ThirdPartiesApi(this.#http);
    this.products = new ProductsApi(this.#http);
    this.invoices = new InvoicesApi(this.#http);
  }

  /** The sandbox origin, e.g. `http://127.0.0.1:8080`. */
  get origin(): string {
    return this.#http.origin;
  }

  /** Path of the API root below the origin, e.g. `/api/index.php`. */
  get apiBasePath(): string {
    return this.#http.apiBasePath;
  }

  /** Releases the client's own connection pool; an injected dispatcher is left open. */
  close(): Promise<void> {
    return this.#http.close();
  }

  [inspect.custom](): string {
    return `DolibarrClient { origin: '${this.origin}', apiBasePath: '${this.apiBasePath}' }`;
  }
}
