import type pg from 'pg';
import type { FileHash } from '../source/source-hash.js';

/** A run as the ledger holds it. */
export interface RunRow {
  readonly run_id: string;
  readonly instance: string;
  readonly host: string;
  readonly data_dir: string;
  readonly target_schema: string;
  readonly state: RunState;
  readonly started_at: Date;
  readonly finished_at: Date | null;
  readonly exit_code: number | null;
}

/**
 * running: a process is (or was, if killed) loading; interrupted: stopped by a
 * signal; loaded: every table done (rejects included); failed: a table failed;
 * verified: loaded, and verify found the target equal to the source;
 * rolling-back: a rollback started (and may have been killed); rolled-back:
 * every row it wrote is gone or restored.
 */
export type RunState = 'running' | 'interrupted' | 'failed' | 'loaded' | 'verified' | 'rolling-back' | 'rolled-back';


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

const RUN_COLUMNS = 'run_id, instance, host, data_dir, target_schema, state, started_at, finished_at, exit_code';

/** The run with this id, or null. */
export async function runById(client: pg.Client, runId: string): Promise<RunRow | null> {
  const r = await client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM aragora_migrate.runs WHERE run_id = $1`, [runId]);
  return r.rows[0] ?? null;
}

/** The newest run of this instance on this data dir and schema, whatever its state. */
export async function latestRun(client: pg.Client, instance: string, dataDir: string, schema: string): Promise<RunRow | null> {
  const r = await client.query<RunRow>(
    `SELECT ${RUN_COLUMNS}
       FROM aragora_migrate.runs WHERE instance = $1 AND data_dir = $2 AND target_schema = $3
      ORDER BY started_at DESC, run_id DESC LIMIT 1`,
    [instance, dataDir, schema],
  );
  return r.rows[0] ?? null;
}

export async function runFiles(client: pg.Client, runId: string): Promise<FileHash[]> {
  const r = await client.query<{ path: string; size_bytes: string; sha256: string; wal_bytes: string; wal_sha256: string | null; identity: string | null }>(
    'SELECT path, size_bytes, sha256, wal_bytes, wal_sha256, identity FROM aragora_migrate.run_files WHERE run_id = $1 ORDER BY path',
    [runId],
  );
  return r.rows.map((x) => ({ path: x.path, sizeBytes: Number(x.size_bytes), sha256: x.sha256, walBytes: Number(x.wal_bytes), walSha256: x.wal_sha256, identity: x.identity }));
}

export async function createRun(
  client: pg.Client,
  run: { runId: string; instance: string; host: string; dataDir: string; schema: string; toolVersion: string; options: Record<string, unknown> },
  files: readonly FileHash[],
  tables: readonly { file: string; table: string; target: string; rows: number }[],
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO aragora_migrate.runs (run_id, instance, host, data_dir, target_schema, state, tool_version, options)
       VALUES ($1, $2, $3, $4, $5, 'running', $6, $7)`,
      [run.runId, run.instance, run.host, run.dataDir, run.schema, run.toolVersion, JSON.stringify(run.options)],
    );
    await client.query(
      `INSERT INTO aragora_migrate.run_files (run_id, path, size_bytes, sha256, wal_bytes, wal_sha256, identity)
       SELECT $1, f.path, f.size_bytes, f.sha256, f.wal_bytes, f.wal_sha256, f.identity
         FROM jsonb_to_recordset($2::jsonb) AS f(path text, size_bytes bigint, sha256 text, wal_bytes bigint, wal_sha256 text, identity text)`,
      [run.runId, JSON.stringify(files.map((f) => ({ path: f.path, size_bytes: f.sizeBytes, sha256: f.sha256, wal_bytes: f.walBytes, wal_sha256: f.walSha256, identity: f.identity })))],
    );
    await client.query(
      `INSERT INTO aragora_migrate.run_tables (run_id, source_file, source_table, target_table, state, rows_source)
       SELECT $1, t.file, t.tbl, t.target, 'pending', t.rows
         FROM jsonb_to_recordset($2::jsonb) AS t(file text, tbl text, target text, rows bigint)`,
      [run.runId, JSON.stringify(tables.map((t) => ({ file: t.file, tbl: t.table, target: t.target, rows: t.rows })))],
    );
    await client.query('COMMIT');
  } catch (err: unknown) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A run's state and exit code; `error` is the message of a run that stopped on an error (cleared otherwise). */
export async function setRunState(client: pg.Client, runId: string, state: RunState, exitCode: number | null, error: string | null = null): Promise<void> {
  await client.query(
    `UPDATE aragora_migrate.runs SET state = $2, exit_code = $3, error = $4,
            finished_at = CASE WHEN $2 IN ('loaded', 'failed', 'interrupted') THEN now() WHEN $2 = 'running' THEN NULL ELSE finished_at END
      WHERE run_id = $1`,
    [runId, state, exitCode, error],
  );
}

/** The exit code of a run whose state stays (its verification decided it). */
export async function setRunExitCode(client: pg.Client, runId: string, exitCode: number): Promise<void> {
  await client.query('UPDATE aragora_migrate.runs SET exit_code = $2 WHERE run_id = $1', [runId, exitCode]);
}

/** Rows a run rejected, across its tables. */
export async function rejectedRows(client: pg.Client, runId: string): Promise<number> {
  const r = await client.query<{ n: string }>('SELECT count(*) AS n FROM aragora_migrate.rejects WHERE run_id = $1', [runId]);
  return Number(r.rows[0]?.n ?? 0);
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

/** Rejects and repairs of a run, folded per (file, table, column, kind) with up to 5 keys, for the report. */
export async function issueSummary(
  client: pg.Client,
  runId: string,
): Promise<{ source_file: string; source_table: string; column_name: string | null; kind: string; action: 'reject' | 'repair'; n: string; keys: string[]; reason: string }[]> {
  const r = await client.query(
    `SELECT source_file, source_table, column_name, kind, 'reject' AS action, count(*) AS n,
            (array_agg(row_key ORDER BY source_rowid))[1:5] AS keys, min(reason) AS reason
       FROM aragora_migrate.rejects WHERE run_id = $1 GROUP BY 1, 2, 3, 4
     UNION ALL
     SELECT source_file, source_table, column_name, kind, 'repair', count(*),
            (array_agg(row_key ORDER BY source_rowid))[1:5], min(kind)
       FROM aragora_migrate.repairs WHERE run_id = $1 GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4`,
    [runId],
  );
  return r.rows as never;
}
