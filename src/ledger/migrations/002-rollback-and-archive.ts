/**
 * Ledger v2: what rollback and archive need. Before this version existed, the
 * ledger was one idempotent script that grew between releases while its
 * version stayed 1, so a ledger recorded as v1 may lack some v1 objects
 * (batches.loaded_keys, verifications) or hold some of these already; every
 * statement is therefore IF NOT EXISTS, and the v1 ones are repeated here.
 */
export const version = 2;
export const description = 'batch and conflict xids, keep-both target keys, rollbacks, created tables, archives';
export const sql = `
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
`;
