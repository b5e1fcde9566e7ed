/**
 * The `--json` report: a contract for operators' automation
 * (docs/json-report.md). Field names here are that contract; change them only
 * with a note there.
 */

export const FINDING_KINDS = [
  'nul_byte',
  'invalid_utf8',
  'json_nonfinite',
  'json_nul',
  'json_invalid',
  'timestamp_unparseable',
  'type_mismatch',
  'null_key',
  'null_value',
  'fk_orphan',
  'key_too_large',
  'key_conflict',
  'precision_loss',
  'unmapped_table',
  'unmapped_column',
  'missing_column',
  'not_sqlite',
  'corrupt_file',
  'wal_pending',
  'source_busy',
  'column_widened',
  'source_unreadable',
  'symlink_skipped',
  'no_store',
  'identifier_too_long',
  'schema_missing',
  'without_rowid',
  'rowid_hidden',
  'name_not_utf8',
  'rows_unread',
  'target_read_only',
  'target_privileges',
  'target_encoding',
  'too_many_columns',
  'target_name_taken',
  'check_violation',
  'unique_violation',
  'merge_overflow',
  'ids_exhausted',
  'run_refused',
  'run_unfinished',
  'already_migrated',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * What the migration does about a finding.
 * - repair: the value is changed under a policy and the original recorded
 * - reject: the row goes to the reject file, with the reason
 * - skip: the table, column or file is not migrated (by design, or unknown)
 * - block: the migration cannot proceed until this is resolved (exit 5)
 * - keep: the rows load unchanged; reported so the operator knows
 * - merge: the row's key already exists; the table's conflict policy resolves it (counted in rowsMerged)
 */
export const FINDING_ACTIONS = ['repair', 'reject', 'skip', 'block', 'keep', 'merge'] as const;
export type FindingAction = (typeof FINDING_ACTIONS)[number];

export interface Finding {
  readonly file: string | null;
  readonly table: string | null;
  readonly column: string | null;
  readonly kind: FindingKind;
  readonly count: number;
  readonly action: FindingAction;
  /** Up to 5 keys, in the form of `formatKey` (src/util/keys.ts). */
  readonly exampleKeys: readonly string[];
  /** One line for a person: what was found and what will happen. */
  readonly message: string;
  /** For a blocking finding `migrate` would refuse with: that error's code (src/errors.ts), the same in plan and migrate. */
  readonly code?: string;
}
