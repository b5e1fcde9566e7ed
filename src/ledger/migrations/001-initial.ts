/**
 * Ledger v1: runs, their files and tables, batches with the keys they loaded,
 * rejects, repairs, conflict resolutions, verifications and re-assigned ids.
 * Every statement is idempotent (IF NOT EXISTS), as every migration here is: a
 * ledger may hold parts of a later version already (see 002-rollback-and-archive.ts).
 */
export const version = 1;
export const description = 'runs, files, tables, batches, rejects, repairs, conflicts, verifications, id map';
export const sql = `
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
CREATE TABLE IF NOT EXISTS aragora_migrate.verifications (
  run_id text NOT NULL REFERENCES aragora_migrate.runs(run_id),
  verified_at timestamptz NOT NULL DEFAULT now(),
  ok boolean NOT NULL,
  report jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS aragora_migrate.id_map (
  run_id text NOT NULL,
  source_file text NOT NULL,
  source_table text NOT NULL,
  source_id bigint NOT NULL,
  target_id bigint NOT NULL,
  PRIMARY KEY (run_id, source_file, source_table, source_id)
);
`;
