/** Ledger v4: what a run changed in tables it did not create, and the error a failed run stopped on. */
export const version = 4;
export const description = 'schema changes a run made to existing tables; the error a failed run stopped on';
export const sql = `
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
`;
