import type pg from 'pg';

/** One rejected row as aragora_migrate.rejects holds it. */
export interface RejectRow {
  readonly source_rowid: string;
  readonly row_key: string;
  readonly column_name: string | null;
  readonly kind: string;
  readonly reason: string;
  /** The row's original values, losslessly (src/tables/lossless.ts). */
  readonly original: unknown;
}

/** The (file, table) pairs of a run that rejected at least one row, in order. */
export async function tablesWithRejects(
  client: pg.Client,
  runId: string,
): Promise<{ source_file: string; source_table: string }[]> {
  const r = await client.query<{ source_file: string; source_table: string }>(
    'SELECT DISTINCT source_file, source_table FROM aragora_migrate.rejects WHERE run_id = $1 ORDER BY 1, 2',
    [runId],
  );
  return r.rows;
}

/** The rejected rows of one table of a run, by source rowid. */
export async function tableRejects(
  client: pg.Client,
  runId: string,
  file: string,
  table: string,
): Promise<RejectRow[]> {
  const r = await client.query<RejectRow>(
    `SELECT source_rowid, row_key, column_name, kind, reason, original FROM aragora_migrate.rejects
      WHERE run_id = $1 AND source_file = $2 AND source_table = $3 ORDER BY source_rowid`,
    [runId, file, table],
  );
  return r.rows;
}
