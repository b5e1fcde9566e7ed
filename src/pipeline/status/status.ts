import type pg from 'pg';
import { runLockHeld } from '../../target/lock.js';
import type { TargetDsn } from '../../config/dsn.js';
import { ConfigError } from '../../errors.js';
import type { RunState } from '../../ledger/runs.js';
import { ledgerExists } from '../../ledger/schema.js';
import { qualified } from '../../util/quote.js';
import { connectTarget } from '../../target/connect.js';
import type { RunStatus, StatusReport } from '../../report/status-report.js';

export interface StatusOptions {
  readonly target: TargetDsn;
  /** One run in detail; default: every run. */
  readonly runId?: string;
  /** Only runs into this target schema; default: every schema. */
  readonly schema?: string;
}





/**
 * What the ledger says about the runs into one database: their state, tables
 * and counts, and whether each is verified, archived or rolled back. Reads
 * only, inside a read-only transaction, and never creates the ledger.
 */
export async function runStatus(opts: StatusOptions): Promise<StatusReport> {
  const client = await connectTarget(opts.target, 'aragora-migrate status');
  const base = { command: 'status', target: opts.target.display, exitCode: 0 } as const;
  try {
    await client.query('BEGIN READ ONLY');
    try {
      if (!(await ledgerExists(client))) return { ...base, ledger: false, runs: [], message: `no runs yet: nothing was migrated into ${opts.target.display}` };
      const runs = await readRuns(client, opts);
      if (opts.runId !== undefined && runs.length === 0) throw new ConfigError('STATUS_NO_RUN', `no run ${opts.runId} in the ledger`);
      const message = runs.length === 0 ? 'no runs yet' : `${runs.length} run(s), newest first`;
      return { ...base, ledger: true, runs, message };
    } finally {
      await client.query('COMMIT').catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readRuns(client: pg.Client, opts: StatusOptions): Promise<RunStatus[]> {
  // `error` came with ledger v4: read through to_jsonb, so an older ledger answers too (null).
  const runs = await client.query<{ run_id: string; instance: string; host: string; data_dir: string; target_schema: string; state: RunState; started_at: Date; finished_at: Date | null; exit_code: number | null; error: string | null }>(
    `SELECT run_id, instance, host, data_dir, target_schema, state, started_at, finished_at, exit_code, to_jsonb(runs.*) ->> 'error' AS error
       FROM aragora_migrate.runs
      WHERE ($1::text IS NULL OR run_id = $1) AND ($2::text IS NULL OR target_schema = $2)
      ORDER BY started_at DESC, run_id DESC`,
    [opts.runId ?? null, opts.schema ?? null],
  );
  const ids = runs.rows.map((r) => r.run_id);
  const tables = await client.query<{ run_id: string; source_file: string; source_table: string; target_table: string; state: string; rows_source: string; rows_read: string; rows_loaded: string; rows_rejected: string; rows_merged: string; rows_repaired: string }>(
    `SELECT run_id, source_file, source_table, target_table, state, rows_source, rows_read, rows_loaded, rows_rejected, rows_merged, rows_repaired
       FROM aragora_migrate.run_tables WHERE run_id = ANY($1) ORDER BY target_table, source_file, source_table`,
    [ids],
  );
  // Ledgers written by older versions lack the later tables: read what exists.
  const verifications = (await tableExists(client, 'verifications'))
    ? (await client.query<{ run_id: string; verified_at: Date; ok: boolean }>('SELECT run_id, verified_at, ok FROM aragora_migrate.verifications WHERE run_id = ANY($1) ORDER BY verified_at', [ids])).rows
    : [];
  const archives = (await tableExists(client, 'archives'))
    ? (
        await client.query<{ run_id: string; path: string; backup_dir: string; size_bytes: string; sha256: string; archived_at: Date; restored_at: Date | null }>(
          'SELECT run_id, path, backup_dir, size_bytes, sha256, archived_at, restored_at FROM aragora_migrate.archives WHERE run_id = ANY($1) ORDER BY path',
          [ids],
        )
      ).rows
    : [];
  // A run the ledger calls running while no process holds the lock was stopped without a word.
  const live = runs.rows.some((r) => r.state === 'running') && (await runLockHeld(client));
  return runs.rows.map((r): RunStatus => {
    const checks = verifications.filter((v) => v.run_id === r.run_id).map((v) => ({ verifiedAt: v.verified_at.toISOString(), ok: v.ok }));
    const files = archives
      .filter((a) => a.run_id === r.run_id)
      .map((a) => ({ path: a.path, backupDir: a.backup_dir, sizeBytes: Number(a.size_bytes), sha256: a.sha256, archivedAt: a.archived_at.toISOString(), restoredAt: a.restored_at?.toISOString() ?? null }));
    return {
      runId: r.run_id,
      instance: r.instance,
      host: r.host,
      dataDir: r.data_dir,
      schema: r.target_schema,
      state: r.state === 'running' && !live ? 'interrupted' : r.state,
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
      exitCode: r.exit_code,
      error: r.error,
      verified: checks.at(-1)?.ok ?? r.state === 'verified',
      verifications: checks,
      archived: files.some((f) => f.restoredAt === null),
      archives: files,
      rolledBack: r.state === 'rolled-back',
      tables: tables.rows
        .filter((t) => t.run_id === r.run_id)
        .map((t) => ({
          source: { file: t.source_file, table: t.source_table },
          target: t.target_table,
          state: t.state,
          rowsSource: Number(t.rows_source),
          rowsRead: Number(t.rows_read),
          rowsLoaded: Number(t.rows_loaded),
          rowsRejected: Number(t.rows_rejected),
          rowsMerged: Number(t.rows_merged),
          rowsRepaired: Number(t.rows_repaired),
        })),
    };
  });
}

async function tableExists(client: pg.Client, table: string): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [qualified('aragora_migrate', table)]);
  return r.rows[0]?.ok === true;
}
