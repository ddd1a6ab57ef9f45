/** Quotes an SQL identifier the way PostgreSQL's quote_ident does, always (never trust a name's spelling). */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL byte`);
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Quotes a schema-qualified name: ("public", "llx_societe") -> "public"."llx_societe". */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Quotes a string literal (standard_conforming_strings on, as in every supported server). */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('string literal contains a NUL byte');
  return "'" + value.replace(/'/g, "''") + "'";
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/**
 * Validates a name that arrives from outside (configuration, a feature file) before it is used as an
 * identifier. Quoting alone makes any name safe; this check makes a typo fail loudly instead of silently
 * naming an object that does not exist.
 */
export function assertPlainName(what: string, name: string): string {
  if (!PLAIN_NAME.test(name)) {
    throw new Error(
      `${what} ${JSON.stringify(name)} is not a plain PostgreSQL name: expected letters, digits, "_", "$" or "-", ` +
        'starting with a letter or "_", at most 63 characters. Check the spelling in the configuration or feature file.',
    );
  }
  return name;
}
