import { quoteIdent } from '../db/ident';

export interface PostResetOptions {
  appSchema: string;
  /** The role the sandbox application connects through; null for none. */
  appRole: string | null;
}

/**
 * What production needs on top of the golden, applied inside the reset's transaction (so the baseline is
 * reached atomically). DROP OWNED also drops the owner's default privileges, so the grants the Dolibarr
 * application role relies on must be given again after every restore.
 */
export function postResetSql(options: PostResetOptions): string {
  const statements: string[] = [];
  if (options.appRole) {
    const schema = quoteIdent(options.appSchema);
    const role = quoteIdent(options.appRole);
    statements.push(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role};`,
      `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role};`,
    );
  }
  return statements.join('\n');
}
