/** Text that replaces a secret wherever it would have appeared. */
export const REDACTED = '[REDACTED]';

/** Replaces every occurrence of the configured secrets in a string. */
export type Redactor = (text: string) => string;

/**
 * Builds a redactor for the given secrets. Each secret is also matched in its
 * URL-encoded and JSON-escaped spellings, since that is how a server echoes
 * back a header or query value it did not like.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
    needles.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a spelling that contains another is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = text;
    for (const needle of ordered) out = out.split(needle).join(REDACTED);
    return out;
  };
}

/** The path without its query string or fragment (either may carry secrets). */
export function pathWithoutQuery(path: string): string {
  const cut = path.search(/[?#]/);
  return cut === -1 ? path : path.slice(0, cut);
}
