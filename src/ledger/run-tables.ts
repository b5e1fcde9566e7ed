import type pg from 'pg';
import { ledgerTableExists } from './schema.js';

/**
 * One source table of a run, as aragora_migrate.run_tables (and every per-table
 * ledger table: batches, rejects, repairs, conflicts, id_map) keys it.
 */
export interface RunTableKey {
  readonly runId: string;
  /** The source file, relative to the data dir. */
  readonly file: string;
  /** The SQLite table. */
  readonly table: string;
}

/**
 * The table's load starts (or resumes): `direct` says whether its rows COPY
 * straight into the target or through a staging table, and a resumed load
 * keeps the choice its first process made.
 */
export async function markTableLoading(client: pg.Client, at: RunTableKey, direct: boolean): Promise<void> {
  await client.query(
    `UPDATE aragora_migrate.run_tables SET state = 'loading', direct_copy = $4, started_at = COALESCE(started_at, now()) WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
    [at.runId, at.file, at.table, direct],
  );
}

/**
 * Every batch of the table is committed. `direct_copy` stays true only when
 * every row went in by direct COPY: a load that met a duplicate key part way
 * and switched to the staging table is recorded as not direct.
 */
export async function markTableLoaded(client: pg.Client, at: RunTableKey, switchedToStaging: boolean): Promise<void> {
  await client.query(
    `UPDATE aragora_migrate.run_tables SET state = 'loaded', finished_at = now(), direct_copy = direct_copy AND NOT $4 WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
    [at.runId, at.file, at.table, switchedToStaging],
  );
}

/** The table's load stopped on an error; its committed batches stay, and the next run resumes after them. */
export async function markTableFailed(client: pg.Client, at: RunTableKey): Promise<void> {
  await client.query(
    `UPDATE aragora_migrate.run_tables SET state = 'failed' WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
    [at.runId, at.file, at.table],
  );
}

export interface TableProgress {
  readonly source_file: string;
  readonly source_table: string;
  readonly target_table: string;
  readonly state: 'pending' | 'loading' | 'loaded' | 'failed';
  readonly direct_copy: boolean;
  readonly rows_source: string;
  readonly rows_read: string;
  readonly rows_loaded: string;
  readonly rows_rejected: string;
  readonly rows_merged: string;
  readonly rows_repaired: string;
  readonly bytes_read: string;
  readonly last_rowid: string | null;
  readonly seconds: number;
}

export async function tableProgress(client: pg.Client, runId: string): Promise<TableProgress[]> {
  const r = await client.query<TableProgress>(
    `SELECT source_file, source_table, target_table, state, direct_copy, rows_source, rows_read, rows_loaded, rows_rejected,
            rows_merged, rows_repaired, bytes_read, last_rowid, seconds
       FROM aragora_migrate.run_tables WHERE run_id = $1 ORDER BY source_file, source_table`,
    [runId],
  );
  return r.rows;
}

/** One source table of a run with its counters (bigints as text), as status shows it. */
export interface RunTableCounts extends Pick<
  TableProgress,
  | 'source_file'
  | 'source_table'
  | 'target_table'
  | 'state'
  | 'rows_source'
  | 'rows_read'
  | 'rows_loaded'
  | 'rows_rejected'
  | 'rows_merged'
  | 'rows_repaired'
> {
  readonly run_id: string;
  /**
   * A rollback of the run finished its target table (aragora_migrate.rollbacks):
   * run_tables keeps the state the load left, so this is how a rolled-back
   * table is told apart, a partly rolled-back run's tables one by one.
   */
  readonly rolled_back: boolean;
}

/** The source tables of these runs with their counters, by target table. */
export async function runTableCounts(client: pg.Client, runIds: readonly string[]): Promise<RunTableCounts[]> {
  // A ledger older than the rollbacks table (rollbacks.ts) has no rolled-back table to tell.
  const rolledBack = (await ledgerTableExists(client, 'rollbacks'))
    ? 'EXISTS (SELECT 1 FROM aragora_migrate.rollbacks b WHERE b.run_id = t.run_id AND b.target_table = t.target_table)'
    : 'false';
  const r = await client.query<RunTableCounts>(
    `SELECT t.run_id, t.source_file, t.source_table, t.target_table, t.state, t.rows_source, t.rows_read, t.rows_loaded,
            t.rows_rejected, t.rows_merged, t.rows_repaired, ${rolledBack} AS rolled_back
       FROM aragora_migrate.run_tables t WHERE t.run_id = ANY($1) ORDER BY t.target_table, t.source_file, t.source_table`,
    [runIds],
  );
  return r.rows;
}

/**
 * Forgets what the run loaded of one source table (its batches, rejects,
 * repairs, conflicts and re-assigned ids, and its counters and position), in
 * the caller's transaction, which also empties the target: the table is then
 * loaded again from its first row (src/pipeline/migrate/load-tables.ts).
 */
export async function forgetTableLoad(tx: pg.Client, at: RunTableKey): Promise<void> {
  const params = [at.runId, at.file, at.table];
  for (const table of ['batches', 'rejects', 'repairs', 'conflicts', 'id_map'])
    await tx.query(
      `DELETE FROM aragora_migrate.${table} WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
      params,
    );
  await tx.query(
    `UPDATE aragora_migrate.run_tables
        SET rows_read = 0, rows_loaded = 0, rows_rejected = 0, rows_merged = 0, rows_repaired = 0,
            bytes_read = 0, seconds = 0, last_rowid = NULL
      WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
    params,
  );
}
