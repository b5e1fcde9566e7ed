import { jsonbParam } from './jsonb-param.js';
import type pg from 'pg';

/**
 * What a run changed in the target's schema besides creating tables (rollback
 * leaves these in place): widen_column (--widen-columns), add_column,
 * add_trigger, add_foreign_key.
 */
export type SchemaChangeKind = 'widen_column' | 'add_column' | 'add_trigger' | 'add_foreign_key';

/** widen_column: from, to, and the table's rows and bytes then; add_foreign_key: parent, orphans kept, validated. */
export interface SchemaChangeDetail {
  readonly from?: string;
  readonly to?: string;
  readonly rows?: number;
  readonly bytes?: number;
  readonly parent?: string;
  readonly orphans?: number;
  readonly validated?: boolean;
}

/** Records (or, for a resumed run doing it again, updates) one change. */
export async function recordSchemaChange(
  client: pg.Client,
  runId: string,
  target: string,
  kind: SchemaChangeKind,
  object: string,
  detail: SchemaChangeDetail,
): Promise<void> {
  await client.query(
    `INSERT INTO aragora_migrate.schema_changes (run_id, target_table, kind, object, detail) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (run_id, target_table, kind, object) DO UPDATE SET detail = EXCLUDED.detail, changed_at = now()`,
    [runId, target, kind, object, jsonbParam(detail)],
  );
}

export interface SchemaChangeRow {
  readonly target_table: string;
  readonly kind: SchemaChangeKind;
  readonly object: string;
  readonly detail: SchemaChangeDetail;
}

/** The changes a migrate report names: widened columns and added foreign keys, in the order they were made. */
export async function reportedSchemaChanges(client: pg.Client, runId: string): Promise<SchemaChangeRow[]> {
  const r = await client.query<SchemaChangeRow>(
    `SELECT target_table, kind, object, detail FROM aragora_migrate.schema_changes WHERE run_id = $1 AND kind IN ('widen_column', 'add_foreign_key') ORDER BY changed_at, target_table, object`,
    [runId],
  );
  return r.rows;
}
