export const CHANGE_SET_FORMAT = 'erp-sandbox-bdd change set';
export const CHANGE_SET_VERSION = 1;

/** Replaces every value of a secret column in a change set. */
export const REDACTED = '[redacted]';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Column name -> value. Numbers that are not small integers travel as their exact decimal text. */
export type RowImage = Record<string, JsonValue>;

/**
 * Stands for a row that did not exist in the baseline, wherever its sandbox id would appear: production
 * assigns its own id on replay. `column` is set when a foreign key refers to a column other than the
 * referenced table's single-column primary key.
 */
export type NewRowRef = { $new: string } | { $new: string; column: string };

/** A row that is in the sandbox and not in the baseline: its after image, without generated key columns. */
export interface InsertChange {
  table: string;
  op: 'insert';
  key: NewRowRef;
  /** The row's key in the sandbox, for people reviewing the change; never replayed. Null without a primary key. */
  sandboxKey: RowImage | null;
  row: RowImage;
}

/** A baseline row whose non-ignored columns changed. */
export interface UpdateChange {
  table: string;
  op: 'update';
  key: RowImage;
  /** Values of the table's other unique keys before the change (e.g. ref, code_client), when it has any. */
  natural?: RowImage;
  columns: Record<string, { before: JsonValue; after: JsonValue }>;
}

/** A baseline row that is gone from the sandbox: its before image. */
export interface DeleteChange {
  table: string;
  op: 'delete';
  /** Null for a table without a primary key: the row image identifies one of possibly several equal rows. */
  key: RowImage | null;
  natural?: RowImage;
  row: RowImage;
}

export type Change = InsertChange | UpdateChange | DeleteChange;

/** A table whose columns differ between the baseline and the sandbox; rows are compared on the common columns. */
export interface AlteredTable {
  table: string;
  addedColumns: string[];
  droppedColumns: string[];
}

/**
 * What the sandbox holds that the baseline (golden + post-reset) does not, row by row. Changes are in
 * replay order: inserts (referenced tables first), then updates, then deletes (referencing tables first).
 */
export interface ChangeSet {
  format: typeof CHANGE_SET_FORMAT;
  version: typeof CHANGE_SET_VERSION;
  golden: { sha256: string };
  createdAt: string;
  /** Columns left out of every comparison and every row image. */
  ignoredColumns: string[];
  /** The pattern (RegExp source and flags) whose matching columns' values were redacted. */
  redactedColumns: string;
  tables: { added: string[]; dropped: string[]; altered: AlteredTable[] };
  changes: Change[];
}

export const isNewRowRef = (value: unknown): value is NewRowRef =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as NewRowRef).$new === 'string';
