import { jsonbParam } from './jsonb-param.js';
import type pg from 'pg';
import type { FileHash } from '../source/source-hash.js';
import { withTransaction } from '../target/transaction.js';

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

/** A run whose load stopped before its end (or is still going): the same migrate command resumes it. */
export function loadUnfinished(state: RunState): boolean {
  return state === 'running' || state === 'interrupted' || state === 'failed';
}

const RUN_COLUMNS = 'run_id, instance, host, data_dir, target_schema, state, started_at, finished_at, exit_code';

/** The newest run of each instance that migrated this data dir into this schema, newest first. */
export async function latestRunPerInstance(client: pg.Client, dataDir: string, schema: string): Promise<RunRow[]> {
  const r = await client.query<RunRow>(
    `SELECT DISTINCT ON (instance) ${RUN_COLUMNS}
       FROM aragora_migrate.runs WHERE data_dir = $1 AND target_schema = $2
      ORDER BY instance, started_at DESC, run_id DESC`,
    [dataDir, schema],
  );
  return r.rows.sort((a, b) => b.started_at.getTime() - a.started_at.getTime());
}

/** The run with this id, or null. */
export async function runById(client: pg.Client, runId: string): Promise<RunRow | null> {
  const r = await client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM aragora_migrate.runs WHERE run_id = $1`, [runId]);
  return r.rows[0] ?? null;
}

/** The newest run of this instance on this data dir and schema, whatever its state. */
export async function latestRun(
  client: pg.Client,
  instance: string,
  dataDir: string,
  schema: string,
): Promise<RunRow | null> {
  const r = await client.query<RunRow>(
    `SELECT ${RUN_COLUMNS}
       FROM aragora_migrate.runs WHERE instance = $1 AND data_dir = $2 AND target_schema = $3
      ORDER BY started_at DESC, run_id DESC LIMIT 1`,
    [instance, dataDir, schema],
  );
  return r.rows[0] ?? null;
}

export async function runFiles(client: pg.Client, runId: string): Promise<FileHash[]> {
  const r = await client.query<{
    path: string;
    size_bytes: string;
    sha256: string;
    wal_bytes: string;
    wal_sha256: string | null;
    identity: string | null;
  }>(
    'SELECT path, size_bytes, sha256, wal_bytes, wal_sha256, identity FROM aragora_migrate.run_files WHERE run_id = $1 ORDER BY path',
    [runId],
  );
  return r.rows.map((x) => ({
    path: x.path,
    sizeBytes: Number(x.size_bytes),
    sha256: x.sha256,
    walBytes: Number(x.wal_bytes),
    walSha256: x.wal_sha256,
    identity: x.identity,
  }));
}

/** A new run, its files (with their hashes) and its tables (pending), in one transaction: all of it or none. */
export async function createRun(
  client: pg.Client,
  run: {
    runId: string;
    instance: string;
    host: string;
    dataDir: string;
    schema: string;
    toolVersion: string;
    options: Record<string, unknown>;
  },
  files: readonly FileHash[],
  tables: readonly { file: string; table: string; target: string; rows: number }[],
): Promise<void> {
  await withTransaction(client, async (tx) => {
    await tx.query(
      `INSERT INTO aragora_migrate.runs (run_id, instance, host, data_dir, target_schema, state, tool_version, options)
       VALUES ($1, $2, $3, $4, $5, 'running', $6, $7)`,
      [run.runId, run.instance, run.host, run.dataDir, run.schema, run.toolVersion, jsonbParam(run.options)],
    );
    await tx.query(
      `INSERT INTO aragora_migrate.run_files (run_id, path, size_bytes, sha256, wal_bytes, wal_sha256, identity)
       SELECT $1, f.path, f.size_bytes, f.sha256, f.wal_bytes, f.wal_sha256, f.identity
         FROM jsonb_to_recordset($2::jsonb) AS f(path text, size_bytes bigint, sha256 text, wal_bytes bigint, wal_sha256 text, identity text)`,
      [
        run.runId,
        jsonbParam(
          files.map((f) => ({
            path: f.path,
            size_bytes: f.sizeBytes,
            sha256: f.sha256,
            wal_bytes: f.walBytes,
            wal_sha256: f.walSha256,
            identity: f.identity,
          })),
        ),
      ],
    );
    await tx.query(
      `INSERT INTO aragora_migrate.run_tables (run_id, source_file, source_table, target_table, state, rows_source)
       SELECT $1, t.file, t.tbl, t.target, 'pending', t.rows
         FROM jsonb_to_recordset($2::jsonb) AS t(file text, tbl text, target text, rows bigint)`,
      [run.runId, jsonbParam(tables.map((t) => ({ file: t.file, tbl: t.table, target: t.target, rows: t.rows })))],
    );
  });
}

/**
 * The earliest run, not rolled back, that read a file with one of these sha256
 * hashes (any instance, any data dir), or null: the same bytes loaded again
 * under another instance name, or from a copy of the data dir, would merge
 * every row a second time.
 */
export async function runWithFileHashes(
  client: pg.Client,
  sha256s: readonly string[],
  schema: string,
): Promise<{
  readonly run_id: string;
  readonly instance: string;
  readonly data_dir: string;
  readonly path: string;
} | null> {
  const r = await client.query<{ run_id: string; instance: string; data_dir: string; path: string }>(
    `SELECT r.run_id, r.instance, r.data_dir, f.path FROM aragora_migrate.run_files f JOIN aragora_migrate.runs r USING (run_id)
      WHERE f.sha256 = ANY($1::text[]) AND r.target_schema = $2 AND r.state <> 'rolled-back' ORDER BY r.started_at LIMIT 1`,
    [sha256s, schema],
  );
  return r.rows[0] ?? null;
}

/**
 * Moves a run to `state`: every change of a run's state goes through here. With
 * an exit code (or null) the run's outcome is set with it: that code, and
 * `error`, the message of a run that stopped on an error (cleared otherwise).
 * 'unchanged' leaves both as they are: verify and rollback move a run on
 * without rewriting how its load ended (and a ledger older than version 4,
 * which has no error column, can still be rolled back). With `onlyFrom`, only
 * a run in that state moves (verify marks a loaded run verified, nothing else).
 */
export async function setRunState(
  client: pg.Client,
  runId: string,
  state: RunState,
  exitCode: number | null | 'unchanged',
  error: string | null = null,
  onlyFrom?: RunState,
): Promise<void> {
  const keep = exitCode === 'unchanged';
  await client.query(
    `UPDATE aragora_migrate.runs SET state = $2${keep ? '' : ', exit_code = $4, error = $5'},
            finished_at = CASE WHEN $2 IN ('loaded', 'failed', 'interrupted') THEN now() WHEN $2 = 'running' THEN NULL ELSE finished_at END
      WHERE run_id = $1 AND ($3::text IS NULL OR state = $3)`,
    keep ? [runId, state, onlyFrom ?? null] : [runId, state, onlyFrom ?? null, exitCode, error],
  );
}

/** The exit code of a run whose state stays (its verification decided it). */
export async function setRunExitCode(client: pg.Client, runId: string, exitCode: number): Promise<void> {
  await client.query('UPDATE aragora_migrate.runs SET exit_code = $2 WHERE run_id = $1', [runId, exitCode]);
}

/** Rows a run rejected, across its tables. */
export async function rejectedRows(client: pg.Client, runId: string): Promise<number> {
  const r = await client.query<{ n: string }>('SELECT count(*) AS n FROM aragora_migrate.rejects WHERE run_id = $1', [
    runId,
  ]);
  return Number(r.rows[0]?.n ?? 0);
}

/** Rejects and repairs of a run, folded per (file, table, column, kind) with up to 5 keys, for the report. */
export async function issueSummary(
  client: pg.Client,
  runId: string,
): Promise<
  {
    source_file: string;
    source_table: string;
    column_name: string | null;
    kind: string;
    action: 'reject' | 'repair';
    n: string;
    keys: string[];
    reason: string;
  }[]
> {
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

/** A run as status lists it: its row, and the error it stopped on (null from a ledger older than version 4, which has no such column). */
export interface RunListing extends RunRow {
  readonly error: string | null;
}

/** Runs, newest first: one (`runId`), or every run into `schema`, or every run. Reads a ledger of any version. */
export async function listRuns(
  client: pg.Client,
  filter: { readonly runId?: string; readonly schema?: string },
): Promise<RunListing[]> {
  // `error` came with ledger v4: read through to_jsonb, so an older ledger answers too (null).
  const r = await client.query<RunListing>(
    `SELECT ${RUN_COLUMNS}, to_jsonb(runs.*) ->> 'error' AS error
       FROM aragora_migrate.runs
      WHERE ($1::text IS NULL OR run_id = $1) AND ($2::text IS NULL OR target_schema = $2)
      ORDER BY started_at DESC, run_id DESC`,
    [filter.runId ?? null, filter.schema ?? null],
  );
  return r.rows;
}
