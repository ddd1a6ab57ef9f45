/**
 * Secrets never reach output: connection strings lose their password, and any known secret value
 * (passwords, API keys) registered here is masked wherever it appears in text we print or attach.
 */
const knownSecrets = new Set<string>();

/** Registers a secret so that redact() masks it everywhere from now on. Short values are ignored (false hits). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/\s]+)@/gi;
const KEYWORD_PASSWORD = /\b(password|passwd|pwd|apikey|api_key|dolapikey|secret|token)(\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s'",;]+)/gi;

/** Masks passwords in DSNs (`postgres://u:pw@h`), `password=...` pairs, and every registered secret. */
export function redact(text: string): string {
  let out = text.replace(URL_PASSWORD, '$1***@').replace(KEYWORD_PASSWORD, '$1$2***');
  for (const secret of knownSecrets) out = out.split(secret).join('***');
  return out;
}

/** An Error whose message is redacted; the original's stack is dropped because it may quote the secret. */
export function redactedError(error: unknown, context?: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new Error(redact(context ? `${context}: ${message}` : message));
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') (wrapped as Error & { code?: string }).code = code;
  return wrapped;
}
