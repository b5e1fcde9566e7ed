/**
 * Every operator-facing failure is a MigrateError: a stable code, a message, a
 * hint saying what to do next, and the exit code it leads to (docs/errors.md
 * lists them all). Anything else reaching the top level is a bug (exit 1, with
 * a stack).
 */

export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  REJECTED_ROWS: 3,
  VERIFY_DIFFERENCES: 4,
  REFUSED: 5,
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Every error code, with the exit code it leads to and the hint printed under it. */
export const ERROR_CODES = {
  CONFIG_INVALID: { exit: EXIT.USAGE, hint: 'Run the command with --help to see the flags it takes.' },
  CONFIG_DATA_DIR_MISSING: {
    exit: EXIT.USAGE,
    hint: 'Pass --data-dir, or set ARAGORA_DATA_DIR to the folder that holds the .db files.',
  },
  CONFIG_DATA_DIR_NOT_DIR: {
    exit: EXIT.USAGE,
    hint: 'Pass the folder that holds the .db files, not a file in it.',
  },
  CONFIG_DSN_MISSING: {
    exit: EXIT.USAGE,
    hint: 'Pass --database-url, or set ARAGORA_POSTGRES_DSN (or DATABASE_URL).',
  },
  CONFIG_DSN_INVALID: {
    exit: EXIT.USAGE,
    hint: 'Use the form postgresql://user:password@host:5432/dbname?sslmode=require.',
  },
  CONFIG_ENV_FILE: {
    exit: EXIT.USAGE,
    hint: 'Fix the file at the line named: NAME=VALUE lines (or Environment="NAME=VALUE" in the [Service] section of a systemd drop-in), a value with blanks or quotes in quotes.',
  },
  MAPPING_INVALID: { exit: EXIT.USAGE, hint: 'Fix every problem listed above; the mapping set was not used.' },
  VERIFY_NO_RUN: {
    exit: EXIT.USAGE,
    hint: 'Run migrate first, or name the run with --run ID (see status), with the same --instance and --data-dir.',
  },
  VERIFY_TABLES_UNMAPPED: {
    exit: EXIT.USAGE,
    hint: 'Verify with the mappings the run was made with: the same --mappings DIR, and --auto if migrate had it.',
  },
  VERIFY_RUN_ROLLED_BACK: {
    exit: EXIT.USAGE,
    hint: 'Nothing of a rolled-back run is left to verify. Verify another run (status lists them, --run ID), or finish a rollback that stopped with the same rollback command.',
  },
  VERIFY_SOURCE_MISSING: {
    exit: EXIT.REFUSED,
    hint: 'Verify reads the files the run read: in the data dir, or in the backup dir once archived (the ledger and the manifest there name them). Put the named files back, or pass --data-dir where they are now.',
  },
  SOURCE_UNREADABLE: { exit: EXIT.REFUSED, hint: 'Check the path and its permissions.' },
  SOURCE_CORRUPT: {
    exit: EXIT.REFUSED,
    hint: 'SQLite\'s own check found the file damaged (listed above): rows can be missing without any read error. Restore the file from a backup, or recover it (sqlite3 FILE ".recover" | sqlite3 NEW.db), then plan again. Rows a failed run loaded from it stay until you roll that run back.',
  },
  SOURCE_NO_STORE: {
    exit: EXIT.REFUSED,
    hint: "Check --data-dir (or ARAGORA_DATA_DIR): it should be the folder with the instance's .db files (a symbolic link is not followed). If nothing is to be migrated from it on purpose, pass --allow-empty.",
  },
  SOURCE_ROWID_HIDDEN: {
    exit: EXIT.REFUSED,
    hint: 'The table has columns named rowid, _rowid_ and oid, which hide the row ids SQLite reads rows in order by. Rename one of those columns in a copy of the file (sqlite3 COPY.db "ALTER TABLE t RENAME COLUMN oid TO oid_"), map the renamed column, and migrate the copy.',
  },
  SOURCE_NAME_NOT_UTF8: {
    exit: EXIT.REFUSED,
    hint: 'Rename the table or column in a copy of the file to a valid UTF-8 name (sqlite3 COPY.db, ALTER TABLE ... RENAME), map the new name, and migrate the copy.',
  },
  SOURCE_ROWS_UNREAD: {
    exit: EXIT.REFUSED,
    hint: 'The rows read of the table differ from the rows SQLite counts in it: a load does not mark such a table loaded, and plan and verify pass nothing on it. Check that nothing writes to the file and that `PRAGMA integrity_check` finds it sound, then run the same command again; if it recurs, report it with the file.',
  },
  SOURCE_BUSY: {
    exit: EXIT.REFUSED,
    hint: 'Stop the aragora service on this instance (drain it first), then run the command again, or pass --allow-live.',
  },
  TARGET_UNREACHABLE: {
    exit: EXIT.REFUSED,
    hint: 'Check host, port, credentials and sslmode in the DSN, and that this machine may reach the server.',
  },
  TARGET_CONNECTION_LOST: {
    exit: EXIT.REFUSED,
    hint: 'Every committed batch is kept. Once the server answers again, run the same command: it resumes where the run stopped.',
  },
  TARGET_PERMISSION_DENIED: {
    exit: EXIT.REFUSED,
    hint: 'Grant the role what the message names (CREATE on the database for the ledger schema aragora_migrate, CREATE on the target schema for the tables it creates, SELECT, INSERT and UPDATE on tables that exist; on PostgreSQL 15 and later no role may create in schema public unless granted), or run the command as a role that has it. Every committed batch is kept: run the same command again.',
  },
  TARGET_CONSTRAINT: {
    exit: EXIT.REFUSED,
    hint: 'The target table declares a constraint (a CHECK, a foreign key to a table the run does not load, NOT NULL, UNIQUE) or a trigger that source rows break; the batches committed before are kept. Relax or drop it for the migration, or fix the rows in a copy of the file, then run the same command again to resume.',
  },
  TARGET_LIMIT_EXCEEDED: {
    exit: EXIT.REFUSED,
    hint: 'A row passed a limit of PostgreSQL that the mapping does not foresee: most often a value larger than an index entry holds (2,704 bytes once compressed) under an index of the target table that the mapping does not declare (rows under the indexes it declares are rejected as key_too_large). The batches committed before are kept. Drop that index for the migration and create it again after, or declare it in the mapping, then run the same command again to resume.',
  },
  TARGET_MERGE_OUT_OF_RANGE: {
    exit: EXIT.REFUSED,
    hint: "The table's merge policy sums a counter of the incoming row into the row with its key the target holds, and the sum passes the column's integer type. Nothing was loaded and no run was created. Widen the column (ALTER TABLE name ALTER COLUMN column TYPE bigint, or numeric), or fix those rows in a copy of the file, then run the same command again; plan lists every such row.",
  },
  TARGET_IDS_EXHAUSTED: {
    exit: EXIT.REFUSED,
    hint: "Rows whose autoincrement id the target already holds get new ids from the table's sequence, and it has none left: a source file or the target holds an id at the top of the sequence's range. Give that row a smaller id in a copy of the file (or in the target), or widen an integer sequence (ALTER SEQUENCE name AS bigint); every committed batch is kept: run the same command again to resume.",
  },
  TARGET_OUT_OF_RESOURCES: {
    exit: EXIT.REFUSED,
    hint: 'Free what the server ran out of (on RDS, raise the allocated storage or the instance size), then run the same command again: every committed batch is kept and it resumes where the run stopped.',
  },
  TARGET_TRANSACTION_CONFLICT: {
    exit: EXIT.REFUSED,
    hint: "Another session kept writing the rows this command writes (the application of an instance already on PostgreSQL, or a job): the server broke the conflict by aborting this command's transaction (a load's batch, after four retries). What was committed is kept: run the same command again when those writers are quiet (or stop them for the migration), and it goes on where it stopped.",
  },
  TARGET_STATEMENT_CANCELED: {
    exit: EXIT.REFUSED,
    hint: 'A statement was cancelled on the server (pg_cancel_backend, or lock_timeout while another session held a table). Every committed batch is kept: find what held the table or cancelled the statement, then run the same command again.',
  },
  TARGET_INCOMPATIBLE: {
    exit: EXIT.REFUSED,
    hint: 'Change each listed column to a type that holds the source values (or give it a default), or drop the empty table and let migrate create it as the application does; then run plan and migrate again.',
  },
  TARGET_ENCODING: {
    exit: EXIT.REFUSED,
    hint: "Nothing was written. Migrate into a database encoded UTF8 (CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0; on RDS, the default), which Aragora's stores expect too.",
  },
  TARGET_READ_ONLY: {
    exit: EXIT.REFUSED,
    hint: 'Nothing was written. Point --database-url at the primary (on RDS, the writer endpoint, not a read replica or the reader endpoint), or, where the database or role is read-only by default on purpose, lift it for the migration (ALTER ROLE name SET default_transaction_read_only = off), then run the command again.',
  },
  TARGET_SCHEMA_MISSING: {
    exit: EXIT.REFUSED,
    hint: 'Create the schema first (CREATE SCHEMA name; the application must have it on its search_path too), or pass --schema with one that exists.',
  },
  TARGET_NAME_TAKEN: {
    exit: EXIT.REFUSED,
    hint: 'Nothing was written. Give the table another "target" name in a mapping file (--mappings), or drop or rename what holds the name in the target schema (a view, a sequence, a type), then plan again.',
  },
  TARGET_TOO_MANY_COLUMNS: {
    exit: EXIT.REFUSED,
    hint: 'Nothing was written. A PostgreSQL table holds at most 1600 columns, and every column of a source table is carried over: in a copy of the file, fold the columns past that into fewer (a JSON text column, say), map them, and migrate the copy.',
  },
  TARGET_IDENTIFIER_TOO_LONG: {
    exit: EXIT.REFUSED,
    hint: 'PostgreSQL cuts names at 63 bytes, so two columns could become one. Give each listed column a shorter "target" name in a mapping file (--mappings), then plan again.',
  },
  TARGET_COLUMN_TOO_NARROW: {
    exit: EXIT.REFUSED,
    hint: 'Pass --widen-columns to plan and migrate: the listed columns are altered to bigint or double precision first (each table is rewritten under an exclusive lock, so the application waits on it meanwhile; plan names the tables and their sizes). Or alter them yourself, then run migrate again.',
  },
  LOCK_HELD: {
    exit: EXIT.REFUSED,
    hint: 'Another migrate is writing to this database. Wait for it to finish, or raise --lock-timeout.',
  },
  RUN_TARGET_GONE: {
    exit: EXIT.REFUSED,
    hint: 'Roll the run back (aragora-migrate rollback --run ID), then run migrate again to load every row anew.',
  },
  RUN_INTERRUPTED: {
    exit: EXIT.INTERRUPTED,
    hint: 'Every committed batch is kept and the batch in flight was rolled back: run the same command again to resume.',
  },
  RUN_SOURCE_CHANGED: {
    exit: EXIT.REFUSED,
    hint: 'The source files changed since the unfinished run started, so it cannot resume exactly. Stop whatever writes them and restore the files it read, or roll that run back before starting a new one.',
  },
  RUN_ALREADY_MIGRATED: {
    exit: EXIT.REFUSED,
    hint: 'Migrating the changed files again would merge their rows twice. If nothing but SQLite wrote them (a sqlite3 session checkpoints the -wal into the .db when it closes), run aragora-migrate verify: when it passes, the run stands for the files as they are. Otherwise roll the earlier run back (aragora-migrate rollback --run ID), then migrate again.',
  },
  RUN_ALREADY_LOADED: {
    exit: EXIT.REFUSED,
    hint: 'These files were migrated already, under another instance name or data dir; their rows would merge twice. Use the same --instance and --data-dir as that run (a rerun is then a no-op), or roll it back first.',
  },
  RUN_ROLLBACK_UNFINISHED: {
    exit: EXIT.REFUSED,
    hint: 'Run aragora-migrate rollback --run ID again to finish it, then migrate.',
  },
  ROLLBACK_NO_RUN: {
    exit: EXIT.USAGE,
    hint: 'Name a run the ledger holds: aragora-migrate status lists them.',
  },
  ROLLBACK_NO_MAPPING: {
    exit: EXIT.USAGE,
    hint: 'Pass the same --mappings folder the run was migrated with.',
  },
  ROLLBACK_DEPENDENT_RUNS: {
    exit: EXIT.REFUSED,
    hint: 'Roll back the runs listed, newest first, then this one.',
  },
  ROLLBACK_ROWS_CHANGED: {
    exit: EXIT.REFUSED,
    hint: 'Rows the run wrote were changed since (by the application or by hand). Check the keys listed; rollback --force rolls them back too.',
  },
  LEDGER_TOO_NEW: {
    exit: EXIT.REFUSED,
    hint: 'A newer aragora-migrate wrote the ledger in this database. Use that version (or newer) for every command on this target.',
  },
  TARGET_CONFLICT: {
    exit: EXIT.REFUSED,
    hint: "The table's conflict policy is fail. Decide which rows win, set another policy in its mapping, and run migrate again.",
  },
  TARGET_TABLE_WRITTEN: {
    exit: EXIT.REFUSED,
    hint: 'Something other than this run wrote into a table the run created, before the run had added its keys (an application instance started on the target early?). Stop it, roll the run back (rollback --run ID), and run migrate again.',
  },
  TARGET_QUERY_FAILED: { exit: EXIT.INTERNAL, hint: 'The server refused a query the tool needs; see the message.' },
  PLAN_BLOCKED: { exit: EXIT.REFUSED, hint: 'Resolve the blocking findings listed above, then plan again.' },
  MIGRATE_TOO_MANY_REJECTS: {
    exit: EXIT.REFUSED,
    hint: 'Nothing was loaded. Run aragora-migrate plan to see why each row is rejected, with example keys; fix those rows in SQLite, or raise --max-rejects (or leave it out) to load the rest and write the rejected rows to reject files.',
  },
  OUTPUT_UNWRITABLE: { exit: EXIT.USAGE, hint: 'Choose a path in a folder that exists and is writable.' },
  ARCHIVE_NO_RUN: {
    exit: EXIT.USAGE,
    hint: 'Run migrate first, or name the run with --run ID (see status), with the same --instance and --data-dir.',
  },
  ARCHIVE_NOT_VERIFIED: {
    exit: EXIT.REFUSED,
    hint: 'Only a verified run is archived. Run aragora-migrate verify (exit 0 marks the run verified), then archive.',
  },
  ARCHIVE_SOURCE_CHANGED: {
    exit: EXIT.REFUSED,
    hint: 'The file is not what the verified run read, so the target may not hold its rows. Run aragora-migrate verify: if the rows are unchanged (a sqlite3 session checkpoints the -wal into the .db when it closes), it passes and archive takes the files as verify read them. If it finds differences, find what wrote the file; roll back, migrate and verify again before archiving.',
  },
  ARCHIVE_FILE_BUSY: {
    exit: EXIT.REFUSED,
    hint: 'Stop the process named above (the aragora service, a shell, a backup job), then run archive again. Nothing was moved.',
  },
  ARCHIVE_UNSAFE_PATH: {
    exit: EXIT.REFUSED,
    hint: 'archive moves only regular files inside the data dir, to a backup dir outside it. Replace the link by the file itself, or choose another --backup-dir.',
  },
  ARCHIVE_BACKUP_MISMATCH: {
    exit: EXIT.REFUSED,
    hint: 'The backup dir does not hold what the ledger expects. Use one backup dir per instance, or put back the files the manifest lists, then run archive again.',
  },
  ARCHIVE_COPY_MISMATCH: {
    exit: EXIT.INTERNAL,
    hint: 'The copy did not read back as written, so the original was kept. Check the backup disk, then run archive again.',
  },
  ROLLBACK_ARCHIVE_CORRUPT: {
    exit: EXIT.REFUSED,
    hint: 'The archived copy is not the file that was archived; it was left where it is. Restore it from another backup, then run rollback again.',
  },
  ROLLBACK_ARCHIVE_MISSING: {
    exit: EXIT.REFUSED,
    hint: 'The archived file is neither in the backup dir nor back in the data dir. Put it back in the backup dir (see the manifest there), then run rollback again.',
  },
  ROLLBACK_ARCHIVE_CONFLICT: {
    exit: EXIT.REFUSED,
    hint: 'A different file now stands where the archived one is to go back (written since the archive). Move it aside, then run rollback again.',
  },
  ROLLBACK_NOT_CONFIRMED: {
    exit: EXIT.REFUSED,
    hint: 'Nothing was changed. Answer y to roll back, or pass --yes to skip the question in scripts.',
  },
  STATUS_NO_RUN: { exit: EXIT.USAGE, hint: 'Run aragora-migrate status without --run to list the runs.' },
} as const satisfies Record<string, { exit: ExitCode; hint: string }>;
export type ErrorCode = keyof typeof ERROR_CODES;

export interface MigrateErrorDetails {
  readonly hint?: string;
  readonly file?: string;
  readonly table?: string;
  readonly column?: string;
  readonly cause?: unknown;
}

export class MigrateError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly exitCode: ExitCode;
  readonly file: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;

  constructor(code: ErrorCode, message: string, details: MigrateErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = details.hint ?? ERROR_CODES[code].hint;
    this.exitCode = ERROR_CODES[code].exit;
    this.file = details.file;
    this.table = details.table;
    this.column = details.column;
  }
}

export class ConfigError extends MigrateError {}
export class MappingError extends MigrateError {}
export class SourceError extends MigrateError {}
export class TargetError extends MigrateError {}

export function isMigrateError(err: unknown): err is MigrateError {
  return err instanceof MigrateError;
}

/** The run each error stopped, for the errors that escape a run the ledger already holds. */
const STOPPED_RUNS = new WeakMap<object, string>();

/**
 * Marks `err` as the one that stopped run `runId`, and returns it. An error
 * that escapes a run (a lost connection ends it before its report can be
 * read from the ledger) still names the run on stderr and in the error report
 * (src/cli/error-report.ts): the operator resumes, inspects or rolls back
 * that run.
 */
export function stoppedRun<T>(err: T, runId: string): T {
  if (typeof err === 'object' && err !== null) STOPPED_RUNS.set(err, runId);
  return err;
}

/** The run `err` stopped (stoppedRun); null when it stopped none. */
export function runStoppedBy(err: unknown): string | null {
  return typeof err === 'object' && err !== null ? (STOPPED_RUNS.get(err) ?? null) : null;
}

const ERROR_CLASSES: Readonly<Record<string, typeof MigrateError>> = {
  CONFIG: ConfigError,
  MAPPING: MappingError,
  SOURCE: SourceError,
  TARGET: TargetError,
};

/** What a worker thread posts of an error it stopped on: an Error does not cross a thread with its class. */
export interface PostedError {
  readonly message: string;
  readonly code?: string | undefined;
  readonly stack?: string | undefined;
}

/** The error a worker stopped on, as it posts it (postedError's counterpart is fromPosted). */
export function postedError(err: unknown): PostedError {
  const code = (err as { code?: unknown } | null)?.code;
  return {
    message: err instanceof Error ? err.message : String(err),
    code: code === undefined ? undefined : String(code),
    stack: err instanceof Error ? err.stack : undefined,
  };
}

/**
 * A worker's error on this thread: a MigrateError again when its code is one
 * of this tool's, so its exit code and hint survive the thread (a source read
 * short, a row id that cannot be read); otherwise an Error keeping the code
 * (SQLite's, which sourceDamage reads).
 */
export function fromPosted(p: PostedError): Error {
  if (p.code !== undefined && Object.hasOwn(ERROR_CODES, p.code)) {
    const code = p.code as ErrorCode;
    const Class = ERROR_CLASSES[code.split('_')[0] ?? ''] ?? MigrateError;
    return Object.assign(new Class(code, p.message), p.stack === undefined ? {} : { stack: p.stack });
  }
  return Object.assign(new Error(p.message), { stack: p.stack, code: p.code });
}
