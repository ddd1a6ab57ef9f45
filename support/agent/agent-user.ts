import { randomBytes } from 'node:crypto';
import { assertPlainName, qualified, quoteLiteral } from '../db/ident';
import { registerSecret } from '../db/redact';

/** The agent's Dolibarr login unless BDD_AGENT_LOGIN says otherwise (ADR-0003). */
export const DEFAULT_AGENT_LOGIN = 'ai_agent_sandbox';

/**
 * datec and tms of the agent's user: fixed, so that every reset leaves the very same row and the baseline
 * (the golden plus the post-reset steps) does not change from one reset to the next.
 */
export const AGENT_USER_STAMP = '2000-01-01 00:00:00';

/** Options of {@link agentUserSql}. */
export interface AgentUserOptions {
  /** Schema of the Dolibarr tables. */
  appSchema: string;
  /** The agent's Dolibarr login, e.g. {@link DEFAULT_AGENT_LOGIN}. */
  login: string;
  /** The agent's API key for this run (see {@link newAgentApiKey}). Never printed. */
  apiKey: string;
}

/** A fresh API key for the agent (192 random bits, base64url), registered so that redact() masks it everywhere. */
export function newAgentApiKey(): string {
  const key = randomBytes(24).toString('base64url');
  registerSecret(key);
  return key;
}

// The rights a Dolibarr user needs for AgentActions, as llx_rights_def names them (module, perms, subperms):
// third parties read/create and see all of them (without client/voir, Dolibarr would also make the agent the
// sales representative of each customer it creates), products read/create/delete, invoices read/create/validate
// (valider before Dolibarr 3.x advanced permissions, invoice_advance/validate since).
const AGENT_RIGHTS: readonly (readonly [string, string, string])[] = [
  ['societe', 'lire', ''],
  ['societe', 'creer', ''],
  ['societe', 'client', 'voir'],
  ['produit', 'lire', ''],
  ['produit', 'creer', ''],
  ['produit', 'supprimer', ''],
  ['facture', 'lire', ''],
  ['facture', 'creer', ''],
  ['facture', 'valider', ''],
  ['facture', 'invoice_advance', 'validate'],
];

// What agentUserSql may change with respect to the golden: the user's row, its rights and groups, and the
// sequences of those that get a row.
const FOOTPRINT = new Set([
  'table llx_user',
  'table llx_user_rights',
  'table llx_usergroup_user',
  'sequence llx_user_rowid_seq',
  'sequence llx_user_rights_rowid_seq',
]);

/**
 * Whether a difference between the golden's manifest and the sandbox right after a reset (compareFingerprints'
 * `what`) is one agentUserSql accounts for. Anything else means the reset did not reproduce the golden.
 */
export function isAgentUserFootprint(what: string): boolean {
  return FOOTPRINT.has(what);
}

const LOGIN = /^[A-Za-z0-9_.@-]{1,50}$/;
const API_KEY = /^[A-Za-z0-9_.~+/=-]{16,128}$/;
const TAG = '$agent_user$';

function checkOptions(options: AgentUserOptions): void {
  assertPlainName('BDD_APP_SCHEMA', options.appSchema);
  if (!LOGIN.test(options.login)) {
    throw new Error(
      `BDD_AGENT_LOGIN ${JSON.stringify(options.login)} is not a usable Dolibarr login: expected 1 to 50 letters, digits, "_", ".", "@" or "-" ` +
        `(llx_user.login is varchar(50)). The default is ${DEFAULT_AGENT_LOGIN}.`,
    );
  }
  if (!API_KEY.test(options.apiKey)) {
    // The key itself is never quoted, not even when it is wrong.
    throw new Error(
      `The agent's API key is not usable: expected 16 to 128 characters among letters, digits and _ . ~ + / = -, found ${options.apiKey.length} characters ` +
        'that do not fit. Leave it to newAgentApiKey(), or check BDD_DOLIBARR_KEY.',
    );
  }
}

/**
 * Post-reset SQL that makes the agent's Dolibarr user exist exactly as the agent needs it: found by login in
 * entity 1 (Dolibarr's unique key) or inserted, active, not an admin, internal (no third party), with no
 * password (API only), this run's API key (stored plain, which Dolibarr accepts), and, where Dolibarr's
 * rights tables exist, only the rights of AgentActions and no group. Runs inside the reset's transaction as
 * the sandbox owner with an empty search_path. Inserting the user advances llx_user's sequence: that is part
 * of the baseline, the same after every reset.
 */
export function agentUserSql(options: AgentUserOptions): string {
  checkOptions(options);
  registerSecret(options.apiKey);
  const users = qualified(options.appSchema, 'llx_user');
  const rights = AGENT_RIGHTS.map(([module, perms, sub]) => `(${quoteLiteral(module)}, ${quoteLiteral(perms)}, ${quoteLiteral(sub)})`).join(', ');
  const sql = `
-- The sandbox agent's Dolibarr user (support/agent/agent-user.ts).
DO ${TAG}
DECLARE
  v_schema text := ${quoteLiteral(options.appSchema)};
  v_login text := ${quoteLiteral(options.login)};
  v_key text := ${quoteLiteral(options.apiKey)};
  v_stamp timestamp := ${quoteLiteral(AGENT_USER_STAMP)};
  v_uid integer;
  v_trigger record;
  v_names text[] := '{}';
  v_modes text[] := '{}';
BEGIN
  SELECT rowid INTO v_uid FROM ${users} WHERE login = v_login AND entity = 1;
  IF v_uid IS NULL THEN
    INSERT INTO ${users} (entity, login, lastname, admin, employee, statut, api_key, datec, tms, note_public)
    VALUES (1, v_login, 'AI agent (sandbox)', 0, 0, 1, v_key, v_stamp, v_stamp,
            'Provisioned after every reset of the sandbox by erp-sandbox-bdd. API access only, no password.')
    RETURNING rowid INTO v_uid;
  ELSE
    -- The golden already holds the login. Its BEFORE UPDATE triggers would set tms = now(): they are
    -- suspended for this one update so that every reset leaves the same row, then restored as they were.
    FOR v_trigger IN
      SELECT tgname, tgenabled FROM pg_catalog.pg_trigger
       WHERE tgrelid = ${quoteLiteral(users)}::regclass AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY tgname
    LOOP
      EXECUTE format('ALTER TABLE %I.%I DISABLE TRIGGER %I', v_schema, 'llx_user', v_trigger.tgname);
      v_names := v_names || v_trigger.tgname::text;
      v_modes := v_modes || v_trigger.tgenabled::text;
    END LOOP;
    UPDATE ${users}
       SET api_key = v_key, admin = 0, statut = 1, fk_soc = NULL, pass = NULL, pass_crypted = NULL, pass_temp = NULL,
           datestartvalidity = NULL, dateendvalidity = NULL, tms = v_stamp
     WHERE rowid = v_uid;
    FOR i IN 1 .. coalesce(array_length(v_names, 1), 0) LOOP
      EXECUTE format('ALTER TABLE %I.%I ENABLE %s TRIGGER %I', v_schema, 'llx_user',
                     CASE v_modes[i] WHEN 'A' THEN 'ALWAYS' WHEN 'R' THEN 'REPLICA' ELSE '' END, v_names[i]);
    END LOOP;
  END IF;

  -- Least privilege, where this Dolibarr has its rights tables: exactly the agent's rights, and no group's.
  IF to_regclass(format('%I.%I', v_schema, 'llx_user_rights')) IS NOT NULL
     AND to_regclass(format('%I.%I', v_schema, 'llx_rights_def')) IS NOT NULL THEN
    EXECUTE format('DELETE FROM %I.%I WHERE fk_user = $1', v_schema, 'llx_user_rights') USING v_uid;
    EXECUTE format('INSERT INTO %1$I.%2$I (entity, fk_user, fk_id)
                    SELECT DISTINCT 1, $1, d.id FROM %1$I.%3$I d
                     WHERE d.entity = 1 AND (d.module, d.perms, coalesce(d.subperms, %4$L)) IN (${rights.replace(/'/g, "''")})',
                   v_schema, 'llx_user_rights', 'llx_rights_def', '') USING v_uid;
  END IF;
  IF to_regclass(format('%I.%I', v_schema, 'llx_usergroup_user')) IS NOT NULL THEN
    EXECUTE format('DELETE FROM %I.%I WHERE fk_user = $1', v_schema, 'llx_usergroup_user') USING v_uid;
  END IF;
END
${TAG};
`;
  if (sql.split(TAG).length !== 3) throw new Error(`agentUserSql: an option contains the quoting tag ${TAG}; choose another schema or login.`);
  return sql;
}
