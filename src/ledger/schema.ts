import type pg from 'pg';
import { TargetError } from '../errors.js';

/**
 * The ledger: schema `aragora_migrate` in the target database. It is how a
 * killed run resumes (a batch and its checkpoint commit in one transaction),
 * what verify accounts for (rejects, conflict resolutions), what rollback
 * undoes, and what status shows. Created idempotently; a version row guards
 * against an older tool reading a newer ledger.
 */
export const LEDGER_SCHEMA = 'aragora_migrate';
/**
 * 2: batch and conflict xids, keep-both target keys, rollbacks, created tables, archives. 3: source file identities.
 * 4: schema changes a run made to tables it did not create (widened columns, added columns, foreign keys, triggers);
 *    the error a failed run stopped on.
 */
export const LEDGER_VERSION = 4;

const DDL = `
CREATE SCHEMA IF NOT EXISTS aragora_migrate;
CREATE TABLE IF NOT EXISTS aragora_migrate.meta (
  key text PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE IF NOT EXISTS aragora_migrate.runs (
  run_id text PRIMARY KEY,
  instance text NOT NULL,
  host text NOT NULL,
  data_dir text NOT NULL,
  target_schema text NOT NULL,
  state text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  exit_code integer,
  tool_version text NOT NULL,
  options jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE TABLE IF NOT EXISTS aragora_migrate.run_files (
  run_id text NOT NULL REFERENCES aragora_migrate.runs(run_id),
  path text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  wal_bytes bigint NOT NULL DEFAULT 0,
  wal_sha256 text,
  PRIMARY KEY (run_id, path)
);
CREATE TABLE IF NOT EXISTS aragora_migrate.run_tables (
  run_id text NOT NULL REFERENCES aragora_migrate.runs(run_id),
  source_file text NOT NULL,
  source_table text NOT NULL,
  target_table text NOT NULL,
  state text NOT NULL,
  direct_copy boolean NOT NULL DEFAULT false,
  rows_source bigint NOT NULL DEFAULT 0,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_loaded bigint NOT NULL DEFAULT 0,
  rows_rejected bigint NOT NULL DEFAULT 0,
  rows_merged bigint NOT NULL DEFAULT 0,
  rows_repaired bigint NOT NULL DEFAULT 0,
  bytes_read bigint NOT NULL DEFAULT 0,
  last_rowid bigint,
  started_at timestamptz,
  finished_at timestamptz,
  seconds double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, source_file, source_table)
);
CREATE TABLE IF NOT EXISTS aragora_migrate.batches (
  run_id text NOT NULL,
  source_file text NOT NULL,
  source_table text NOT NULL,
  batch_no integer NOT NULL,
  first_rowid bigint NOT NULL,
  last_rowid bigint NOT NULL,
  rows_read integer NOT NULL,
  rows_loaded integer NOT NULL,
  rows_rejected integer NOT NULL,
  rows_merged integer NOT NULL,
  digest text NOT NULL,
  -- Keys (source key text, src/util/keys.ts) of the rows this batch inserted as
  -- new rows: what verify holds the target to and what rollback deletes.
  loaded_keys text[] NOT NULL DEFAULT '{}',
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, source_file, source_table, batch_no)
);
CREATE TABLE IF NOT EXISTS aragora_migrate.rejects (
  run_id text NOT NULL,
  source_file text NOT NULL,
  source_table text NOT NULL,
  source_rowid bigint NOT NULL,
  row_key text NOT NULL,
  column_name text,
  kind text NOT NULL,
  reason text NOT NULL,
  original jsonb NOT NULL,
  PRIMARY KEY (run_id, source_file, source_table, source_rowid)
);
CREATE TABLE IF NOT EXISTS aragora_migrate.repairs (
  run_id text NOT NULL,
  source_file text NOT NULL,
  source_table text NOT NULL,
  source_rowid bigint NOT NULL,
  row_key text NOT NULL,
  column_name text NOT NULL,
  kind text NOT NULL,
  original jsonb NOT NULL,
  PRIMARY KEY (run_id, source_file, source_table, source_rowid, column_name, kind)
);
CREATE TABLE IF NOT EXISTS aragora_migrate.conflicts (
  run_id text NOT NULL,
  source_file text NOT NULL,
  source_table text NOT NULL,
  source_rowid bigint NOT NULL,
  target_table text NOT NULL,
  row_key text NOT NULL,
  policy text NOT NULL,
  outcome text NOT NULL,
  before_row jsonb,
  incoming_row jsonb,
  PRIMARY KEY (run_id, source_file, source_table, source_rowid)
);
ALTER TABLE aragora_migrate.batches ADD COLUMN IF NOT EXISTS loaded_keys text[] NOT NULL DEFAULT '{}';
CREATE TABLE IF NOT EXISTS aragora_migrate.verifications (
  run_id text NOT NULL REFERENCES aragora_migrate.runs(run_id),
  verified_at timestamptz NOT NULL DEFAULT now(),
  ok boolean NOT NULL,
  report jsonb NOT NULL
);
-- The transaction that wrote each batch, and each conflict resolution: a target
-- row whose xmin is still one of a run's transactions (or a rollback's) has not
-- been touched since, which is how rollback tells the application's changes apart.
ALTER TABLE aragora_migrate.batches ADD COLUMN IF NOT EXISTS xid bigint DEFAULT txid_current();
ALTER TABLE aragora_migrate.conflicts ADD COLUMN IF NOT EXISTS xid bigint DEFAULT txid_current();
-- keep-both on a text key: the key the incoming row was loaded under.
ALTER TABLE aragora_migrate.conflicts ADD COLUMN IF NOT EXISTS target_key text;
-- A source file's identity without its bytes, so verify need not hash it again.
ALTER TABLE aragora_migrate.run_files ADD COLUMN IF NOT EXISTS identity text;
CREATE TABLE IF NOT EXISTS aragora_migrate.rollbacks (
  run_id text NOT NULL REFERENCES aragora_migrate.runs(run_id),
  target_table text NOT NULL,
  xid bigint NOT NULL DEFAULT txid_current(),
  rows_deleted bigint NOT NULL,
  rows_restored bigint NOT NULL,
  forced_keys text[] NOT NULL DEFAULT '{}',
  rolled_back_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, target_table)
);
-- Target tables a run created: rollback drops them again once empty.
CREATE TABLE IF NOT EXISTS aragora_migrate.created_tables (
  run_id text NOT NULL REFERENCES aragora_migrate.runs(run_id),
  target_table text NOT NULL,
  PRIMARY KEY (run_id, target_table)
);
-- One row per archived file (a .db, its -wal, its -shm): where it went and its
-- sha256, so rollback can move it back and check it.
CREATE TABLE IF NOT EXISTS aragora_migrate.archives (
  run_id text NOT NULL REFERENCES aragora_migrate.runs(run_id),
  path text NOT NULL,
  backup_dir text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now(),
  restored_at timestamptz,
  PRIMARY KEY (run_id, path)
);
-- What a run changed in the target's schema besides creating tables:
-- widen_column (--widen-columns), add_column, add_trigger, add_foreign_key
-- (detail: orphans kept, validated). Rollback leaves these in place.
CREATE TABLE IF NOT EXISTS aragora_migrate.schema_changes (
  run_id text NOT NULL REFERENCES aragora_migrate.runs(run_id),
  target_table text NOT NULL,
  kind text NOT NULL,
  object text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, target_table, kind, object)
);
ALTER TABLE aragora_migrate.runs ADD COLUMN IF NOT EXISTS error text;
CREATE TABLE IF NOT EXISTS aragora_migrate.id_map (
  run_id text NOT NULL,
  source_file text NOT NULL,
  source_table text NOT NULL,
  source_id bigint NOT NULL,
  target_id bigint NOT NULL,
  PRIMARY KEY (run_id, source_file, source_table, source_id)
);
`;


/**
 * Creates the ledger if missing, or brings an older one up to this version.
 * An up-to-date ledger gets no DDL at all: ALTER TABLE takes an exclusive lock
 * even when it changes nothing, which would queue behind a running migrate's
 * batches (and deadlock with them). The DDL runs under an advisory lock, so two
 * processes creating the ledger at once do not collide.
 */
export async function ensureLedger(client: pg.Client): Promise<void> {
  if (checkVersion(await storedVersion(client)) === LEDGER_VERSION) return;
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('aragora_migrate:ledger-ddl'))");
    if (checkVersion(await storedVersion(client)) !== LEDGER_VERSION) {
      await client.query(DDL);
      await client.query(
        "INSERT INTO aragora_migrate.meta (key, value) VALUES ('version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [String(LEDGER_VERSION)],
      );
    }
    await client.query('COMMIT');
  } catch (err: unknown) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function storedVersion(client: pg.Client): Promise<number | null> {
  const exists = await client.query<{ ok: boolean }>("SELECT to_regclass('aragora_migrate.meta') IS NOT NULL AS ok");
  if (exists.rows[0]?.ok !== true) return null;
  const res = await client.query<{ value: string }>("SELECT value FROM aragora_migrate.meta WHERE key = 'version'");
  return res.rows[0] === undefined ? null : Number(res.rows[0].value);
}

function checkVersion(found: number | null): number | null {
  if (found !== null && found > LEDGER_VERSION) {
    throw new TargetError('LEDGER_TOO_NEW', `the ledger was written by a newer aragora-migrate (ledger version ${found}, this tool knows ${LEDGER_VERSION})`);
  }
  return found;
}

/** Whether the ledger exists, without creating it (plan and status write nothing). */
export async function ledgerExists(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>("SELECT to_regclass('aragora_migrate.runs') IS NOT NULL AS ok");
  return res.rows[0]?.ok === true;
}
