import type pg from 'pg';

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
