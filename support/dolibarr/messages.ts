import { isRetriableRead } from './retry-policy';

/** Pulls Dolibarr's (Restler's) `{"error":{"code":..,"message":".."}}` message out of a body, else its first 200 chars. */
export function dolibarrMessageOf(body: string): string | undefined {
  const trimmed = body.trim();
  if (trimmed === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      const error = (parsed as { error: unknown }).error;
      if (typeof error === 'object' && error !== null && 'message' in error) {
        const message = (error as { message: unknown }).message;
        if (typeof message === 'string' && message !== '') return message;
      }
    }
  } catch {
    // Not JSON (an HTML error page, a proxy's text): fall through to the raw text.
  }
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}...` : trimmed;
}

/** What to do about an HTTP status Dolibarr answered with. */
export function statusAdvice(status: number): string {
  if (status === 401 || status === 403) {
    return 'Check that DOLAPIKEY is the sandbox agent key, that its user is enabled and has the rights this call needs (a reset restores llx_user from the golden, so re-provision the key after each reset).';
  }
  if (status === 404) {
    return 'Check that the object exists in the sandbox now (ids from before the last reset are gone), and that the API module and this resource are enabled.';
  }
  if (status === 400 || status === 422) return 'Dolibarr rejected the request body: check the fields sent against the message above.';
  if (status === 304) return 'Dolibarr did nothing (for validate: the invoice is probably already validated); fetch the object to see its state.';
  if (status >= 300 && status < 400) {
    return 'Redirects are never followed (the key would travel with them): fix baseUrl (scheme, host, port, path prefix) to the address Dolibarr serves the API on.';
  }
  if (status >= 500) return "Dolibarr failed server-side: read Dolibarr's log (dolibarr.log / syslog module) for this request.";
  return 'Check the request against the Dolibarr API explorer (/api/index.php/explorer).';
}

/** Why the request was (not) retried, for the end of an error message. */
export function retryNote(method: string, attempts: number, outcome: 'answered' | 'not-sent' | 'maybe-sent'): string {
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  if (isRetriableRead(method)) return `Gave up after ${tries}.`;
  if (outcome === 'not-sent') return `Gave up after ${tries}; none reached Dolibarr.`;
  if (outcome === 'answered') return `Not retried (${tries} made): a ${method} is retried only when it provably never reached Dolibarr.`;
  return `Not retried (${tries}): the ${method} may have reached Dolibarr, so check whether it took effect before repeating it.`;
}
