import { redact } from '../db/redact';

// SQLSTATEs and client errors that mean the session is gone, not that the statement was wrong.
const LOST_CODES = new Set(['57P01', '57P02', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE']);
const LOST_TEXT = /Connection terminated|not queryable|terminating connection|server closed the connection unexpectedly|connection to server .* lost|no connection to the server/i;

/** Whether an error says that the database session ended under the operation (dropped, terminated, restarted). */
export function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (typeof code === 'string' && LOST_CODES.has(code)) || LOST_TEXT.test(String((error as { message?: unknown })?.message ?? error));
}

export class ConnectionLostError extends Error {
  readonly code = 'CONNECTION_LOST';
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'ConnectionLostError';
  }
}

/**
 * Says plainly that the database connection dropped under `operation`, instead of the driver's
 * "Connection terminated unexpectedly"; any other error is returned unchanged.
 */
export function explainConnectionLost(error: unknown, operation: string): unknown {
  if (!isConnectionLost(error) || error instanceof ConnectionLostError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  return new ConnectionLostError(
    redact(
      `The database connection was lost during ${operation}: ${raw}${typeof code === 'string' ? ` (${code})` : ''}. ` +
        'The server ended the session (pg_terminate_backend by an administrator or by another session of the same role, a restart or a failover) ' +
        'or the network dropped it. The operation did not complete, and the server rolled back its open transaction, if any. ' +
        'This scenario fails here; the next one opens a fresh connection (check the server log if it keeps happening).',
    ),
    error,
  );
}
