import { STATUS_CODES, type ServerResponse } from 'node:http';
import { redact } from '../../support/db/redact';

/** An answer other than success, with the text Dolibarr's API puts after the reason phrase. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** What Dolibarr answers for a missing, unknown, disabled or out-of-validity key (api_access.class.php). */
export const UNAUTHORIZED = new HttpError(401, 'Error user not valid (not found with api key or bad status or bad validity dates) (conf->entity=1)');

/** A JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // A 304 (Dolibarr's "nothing done" on a second validate) has no body by HTTP's rules.
  if (status === 204 || status === 304) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Restler's error body, as Dolibarr sends it: {"error":{"code":404,"message":"Not Found: Thirdparty not found"}}. */
export function sendError(res: ServerResponse, status: number, detail: string): void {
  const reason = STATUS_CODES[status] ?? 'Error';
  sendJson(res, status, { error: { code: status, message: redact(detail === '' ? reason : `${reason}: ${detail}`) } });
}
