export { DolibarrClient } from './client';
export type { DolibarrClientOptions } from './client';
export { DolibarrApiError, DolibarrConnectionError, DolibarrRequestError } from './errors';
export type { DolibarrRequestInfo } from './errors';
export { createGuardedDispatcher, hostGuardInterceptor, HostGuardError, normalizeOrigin } from './host-guard';
export { InvoicesApi } from './invoices';
export { ProductsApi } from './products';
export { ThirdPartiesApi } from './thirdparties';
export type * from './types';
