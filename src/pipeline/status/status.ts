import type pg from 'pg';
import { runLockHeld } from '../../target/lock.js';
import type { TargetDsn } from '../../config/dsn.js';
import { ConfigError, EXIT } from '../../errors.js';
import { archiveRowsOfRuns } from '../../ledger/archives.js';
import { listRuns } from '../../ledger/runs.js';
import { runTableCounts } from '../../ledger/run-tables.js';
import { ledgerExists } from '../../ledger/schema.js';
import { verificationsOfRuns } from '../../ledger/verifications.js';
import { connectTarget } from '../../target/connect.js';
import { withTransaction } from '../../target/transaction.js';
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
  const base = { command: 'status', target: opts.target.display, exitCode: EXIT.OK } as const;
  try {
    return await withTransaction(
      client,
      async (tx): Promise<StatusReport> => {
        if (!(await ledgerExists(tx)))
          return {
            ...base,
            ledger: false,
            runs: [],
            message: `no runs yet: nothing was migrated into ${opts.target.display}`,
          };
        const runs = await readRuns(tx, opts);
        if (opts.runId !== undefined && runs.length === 0)
          throw new ConfigError('STATUS_NO_RUN', `no run ${opts.runId} in the ledger`);
        const message = runs.length === 0 ? 'no runs yet' : `${runs.length} run(s), newest first`;
        return { ...base, ledger: true, runs, message };
      },
      'READ ONLY',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readRuns(client: pg.Client, opts: StatusOptions): Promise<RunStatus[]> {
  const runs = await listRuns(client, opts);
  const ids = runs.map((r) => r.run_id);
  const tables = await runTableCounts(client, ids);
  // Ledgers written by older versions lack the later tables: these read what exists.
  const verifications = await verificationsOfRuns(client, ids);
  const archives = await archiveRowsOfRuns(client, ids);
  // A run the ledger calls running while no process holds the lock was stopped without a word.
  const live = runs.some((r) => r.state === 'running') && (await runLockHeld(client));
  return runs.map((r): RunStatus => {
    const checks = verifications
      .filter((v) => v.runId === r.run_id)
      .map((v) => ({ verifiedAt: v.verifiedAt.toISOString(), ok: v.ok }));
    const files = archives
      .filter((a) => a.runId === r.run_id)
      .map((a) => ({
        path: a.path,
        backupDir: a.backupDir,
        sizeBytes: a.sizeBytes,
        sha256: a.sha256,
        archivedAt: a.archivedAt.toISOString(),
        restoredAt: a.restoredAt?.toISOString() ?? null,
      }));
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
      tables: tables
        .filter((t) => t.run_id === r.run_id)
        .map((t) => ({
          source: { file: t.source_file, table: t.source_table },
          target: t.target_table,
          // run_tables keeps the load's state; a rollback records each table it finished (ledger/rollbacks.ts).
          state: t.rolled_back || r.state === 'rolled-back' ? 'rolled-back' : t.state,
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
