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
  const all: RejectRow[] = [];
  for await (const page of tableRejectPages(client, runId, file, table)) all.push(...page);
  return all;
}

/**
 * The same rows a page at a time (by the rejects' primary key), so a table
 * whose every row was rejected is never held whole: 300,000 rejected rows of
 * 1 kB took the run to 1.7 GB when they were read at once.
 */
export async function* tableRejectPages(
  client: pg.Client,
  runId: string,
  file: string,
  table: string,
  pageRows = 500,
): AsyncGenerator<RejectRow[], void, undefined> {
  let after: string | null = null;
  for (;;) {
    const r: pg.QueryResult<RejectRow> = await client.query<RejectRow>(
      `SELECT source_rowid, row_key, column_name, kind, reason, original FROM aragora_migrate.rejects
        WHERE run_id = $1 AND source_file = $2 AND source_table = $3 AND ($4::bigint IS NULL OR source_rowid > $4::bigint)
        ORDER BY source_rowid LIMIT $5`,
      [runId, file, table, after, pageRows],
    );
    if (r.rows.length === 0) return;
    yield r.rows;
    after = (r.rows[r.rows.length - 1] as RejectRow).source_rowid;
  }
}
