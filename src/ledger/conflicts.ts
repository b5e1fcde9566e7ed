import type pg from 'pg';
import type { Collisions } from '../target/merge-sql.js';
import { quoteIdent, quoteLiteral } from '../util/quote.js';
import type { RunTableKey } from './run-tables.js';

/** The INSERT that records each colliding staged row with the row before and the incoming row (without the stage's bookkeeping columns). */
export function recordConflictsSql(c: Collisions): string {
  return `INSERT INTO aragora_migrate.conflicts (run_id, source_file, source_table, source_rowid, target_table, row_key, policy, outcome, before_row, incoming_row)
    SELECT $1, $2, $3, s.__rowid, $4, s.__key, ${quoteLiteral(c.policy)}, ${c.outcome},
           to_jsonb(t.*), to_jsonb(s.*) - '__rowid' - '__key'
      ${c.from}`;
}

/** Records a batch's key collisions, in the batch's transaction; returns how many there were. */
export async function recordConflicts(
  tx: pg.Client,
  at: RunTableKey,
  targetTable: string,
  c: Collisions,
): Promise<number> {
  const r = await tx.query(recordConflictsSql(c), [at.runId, at.file, at.table, targetTable]);
  return r.rowCount ?? 0;
}

/**
 * keep-both on a single text key: the staged rows re-keyed as `<id>~<instance>`
 * (`stage` has `__key`, the row's original id, and `keyColumn` its new one),
 * each recorded with the target row it collided with and the key it was loaded
 * under. Inside the batch's transaction, before the staged rows are inserted.
 */
export async function recordKeptBoth(
  tx: pg.Client,
  at: RunTableKey,
  into: { readonly targetTable: string; readonly target: string; readonly stage: string; readonly keyColumn: string },
): Promise<void> {
  const k = quoteIdent(into.keyColumn);
  await tx.query(
    `INSERT INTO aragora_migrate.conflicts (run_id, source_file, source_table, source_rowid, target_table, row_key, policy, outcome, before_row, incoming_row, target_key)
     SELECT $1, $2, $3, s.__rowid, $4, s.__key, 'keep-both', 'kept-both', to_jsonb(t.*), to_jsonb(s.*) - '__rowid' - '__key', s.${k}
       FROM ${into.stage} AS s JOIN ${into.target} AS t ON t.${k} = s.__key
      WHERE s.${k} IS DISTINCT FROM s.__key`,
    [at.runId, at.file, at.table, into.targetTable],
  );
}

/** A run's conflict resolutions folded per (file, table, policy, outcome), with up to 5 keys. */
export interface ConflictOutcome {
  readonly source_file: string;
  readonly source_table: string;
  readonly policy: string;
  readonly outcome: string;
  readonly n: string;
  readonly keys: string[];
}

export async function conflictOutcomes(client: pg.Client, runId: string): Promise<ConflictOutcome[]> {
  const r = await client.query<ConflictOutcome>(
    `SELECT source_file, source_table, policy, outcome, count(*) AS n, (array_agg(row_key ORDER BY source_rowid))[1:5] AS keys
       FROM aragora_migrate.conflicts WHERE run_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    [runId],
  );
  return r.rows;
}
