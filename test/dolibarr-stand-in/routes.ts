import type { ClientBase } from 'pg';
import {
  addInvoiceLine,
  changeProductPrice,
  createInvoice,
  createProduct,
  createThirdParty,
  deleteProduct,
  renameThirdParty,
  validateInvoice,
  type EffectContext,
} from '../../support/agent/effects';
import * as payload from './payloads';
import { HttpError } from './replies';
import { invoiceView, productView, thirdPartyView } from './views';

/** One request, authenticated: the transaction's client, the schema, the key's user, the path id and the body. */
export interface Call {
  ctx: EffectContext;
  id: number;
  body: payload.Body;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below /api/index.php, with "{id}" for a numeric id. */
  path: string;
  handle(call: Call): Promise<unknown>;
}

async function found<T>(view: Promise<T | null>, what: string): Promise<T> {
  const value = await view;
  if (value === null) throw new HttpError(404, `${what} not found`);
  return value;
}

const viewOf = {
  thirdParty: (c: ClientBase, schema: string, id: number) => found(thirdPartyView(c, schema, id), 'Thirdparty'),
  product: (c: ClientBase, schema: string, id: number) => found(productView(c, schema, id), 'Product'),
  invoice: (c: ClientBase, schema: string, id: number) => found(invoiceView(c, schema, id), 'Invoice'),
};

/** The endpoints the harness uses, with the answers of htdocs/.../api_*.class.php. Writes reuse support/agent/effects. */
export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/thirdparties', handle: ({ ctx, body }) => createThirdParty(ctx, payload.thirdPartyCreate(body)) },
  { method: 'GET', path: '/thirdparties/{id}', handle: ({ ctx, id }) => viewOf.thirdParty(ctx.client, ctx.schema, id) },
  {
    method: 'PUT',
    path: '/thirdparties/{id}',
    handle: async ({ ctx, id, body }) => {
      await renameThirdParty(ctx, id, payload.thirdPartyRename(body));
      return viewOf.thirdParty(ctx.client, ctx.schema, id);
    },
  },
  { method: 'POST', path: '/products', handle: ({ ctx, body }) => createProduct(ctx, payload.productCreate(body)) },
  { method: 'GET', path: '/products/{id}', handle: ({ ctx, id }) => viewOf.product(ctx.client, ctx.schema, id) },
  {
    method: 'PUT',
    path: '/products/{id}',
    handle: async ({ ctx, id, body }) => {
      await changeProductPrice(ctx, id, payload.productPrice(body));
      return viewOf.product(ctx.client, ctx.schema, id);
    },
  },
  {
    method: 'DELETE',
    path: '/products/{id}',
    handle: async ({ ctx, id }) => {
      await deleteProduct(ctx, id);
      return { success: { code: 200, message: 'Object deleted' } };
    },
  },
  { method: 'POST', path: '/invoices', handle: ({ ctx, body }) => createInvoice(ctx, payload.invoiceCreate(body)) },
  { method: 'GET', path: '/invoices/{id}', handle: ({ ctx, id }) => viewOf.invoice(ctx.client, ctx.schema, id) },
  { method: 'POST', path: '/invoices/{id}/lines', handle: ({ ctx, id, body }) => addInvoiceLine(ctx, id, payload.invoiceLine(body)) },
  {
    method: 'POST',
    path: '/invoices/{id}/validate',
    handle: async ({ ctx, id, body }) => {
      payload.invoiceValidate(body);
      await validateInvoice(ctx, id);
      return viewOf.invoice(ctx.client, ctx.schema, id);
    },
  },
];

/** The route for a method and path, with its id; a known path with another method is 501, anything else 404. */
export function matchRoute(method: string, path: string): { route: Route; id: number } {
  let pathKnown = false;
  for (const route of ROUTES) {
    const pattern = new RegExp(`^${route.path.replace('{id}', '([1-9][0-9]{0,8})')}/?$`);
    const match = pattern.exec(path);
    if (!match) continue;
    pathKnown = true;
    if (route.method === method) return { route, id: match[1] === undefined ? 0 : Number(match[1]) };
  }
  if (pathKnown) throw new HttpError(501, `the Dolibarr stand-in does not implement ${method} ${path}: the harness does not use it`);
  throw new HttpError(404, `no route ${method} ${path} in the Dolibarr stand-in`);
}
