import type pg from 'pg';
import type { ExitCode } from '../../errors.js';
import type { ResolvedConfig } from '../../config/load-config.js';
import type { DiscoverResult } from '../../source/discover.js';
import type { MappingSet } from '../../mapping/load.js';
import { issueSummary } from '../../ledger/runs.js';
import { tableProgress } from '../../ledger/run-tables.js';
import { conflictOutcomes } from '../../ledger/conflicts.js';
import { reportedSchemaChanges } from '../../ledger/schema-changes.js';
import { FindingCollector } from '../../findings/collector.js';
import type { MigrateReport, MigrateTableReport, PhaseTiming } from '../../report/migrate-report.js';
import { toFileReport, type FileReport } from '../../report/plan-report.js';
import type { FindingKind } from '../../findings/finding.js';

export interface SummaryInput {
  readonly runId: string;
  readonly config: ResolvedConfig;
  readonly scan: DiscoverResult;
  readonly mappings: MappingSet;
  readonly state: MigrateReport['state'];
  readonly resumed: boolean;
  readonly exitCode: ExitCode;
  readonly rejectFiles: readonly string[];
  readonly rejectDir: string;
  readonly seconds: number;
  readonly phases: readonly PhaseTiming[];
  readonly message: string;
}

/** The report of a run, read back from the ledger so a resumed run reports all its batches, not only this process's. */
export async function buildMigrateReport(client: pg.Client, input: SummaryInput): Promise<MigrateReport> {
  const { config, scan } = input;
  const tables: MigrateTableReport[] = (await tableProgress(client, input.runId)).map((p) => ({
    source: { file: p.source_file, table: p.source_table },
    target: `${config.schema}.${p.target_table}`,
    store: null,
    rowsRead: Number(p.rows_read),
    rowsLoaded: Number(p.rows_loaded),
    rowsRejected: Number(p.rows_rejected),
    rowsMerged: Number(p.rows_merged),
    rowsRepaired: Number(p.rows_repaired),
    bytes: Number(p.bytes_read),
    status:
      p.state === 'loaded'
        ? Number(p.rows_rejected) > 0
          ? 'rejects'
          : 'ready'
        : p.state === 'failed'
          ? 'blocked'
          : 'skipped',
    reason: p.state === 'loaded' ? null : p.state,
    targetState: null,
    seconds: p.seconds,
  }));
  const findings = new FindingCollector();
  for (const f of scan.findings) findings.add({ ...f, keys: f.exampleKeys });
  for (const s of await issueSummary(client, input.runId)) {
    findings.add({
      file: s.source_file,
      table: s.source_table,
      column: s.column_name,
      kind: s.kind as FindingKind,
      action: s.action,
      count: Number(s.n),
      keys: s.keys,
      message:
        s.action === 'reject'
          ? `rejected: ${s.reason}`
          : `repaired under the ${s.kind} policy; originals in the ledger (aragora_migrate.repairs)`,
    });
  }
  for (const c of await conflictOutcomes(client, input.runId)) {
    findings.add({
      file: c.source_file,
      table: c.source_table,
      column: null,
      kind: 'key_conflict',
      action: c.outcome.startsWith('kept-existing') ? 'skip' : c.outcome === 'kept-both' ? 'keep' : 'merge',
      count: Number(c.n),
      keys: c.keys,
      message:
        c.outcome === 'kept-existing (review)'
          ? `WARNING, review: the incoming row was not loaded, the target keeps the row already there (policy ${c.policy}); set it by hand if this instance's row should win; both rows in the ledger (aragora_migrate.conflicts)`
          : c.outcome === 'kept-both'
            ? `key already in the target: both rows kept, the incoming one loaded under a new key (aragora_migrate.conflicts.target_key)`
            : `key already in the target: ${c.outcome} (policy ${c.policy}); both rows in the ledger (aragora_migrate.conflicts)`,
    });
  }
  // What the run changed in tables it did not create, and keys it added with orphans kept.
  for (const c of await reportedSchemaChanges(client, input.runId)) {
    if (c.kind === 'widen_column') {
      findings.add({
        file: null,
        table: c.target_table,
        column: c.object,
        kind: 'column_widened',
        action: 'keep',
        count: 1,
        message: `widened from ${c.detail.from ?? '?'} to ${c.detail.to ?? '?'} (--widen-columns; recorded in aragora_migrate.schema_changes)`,
      });
    } else if ((c.detail.orphans ?? 0) > 0) {
      findings.add({
        file: null,
        table: c.target_table,
        column: null,
        kind: 'fk_orphan',
        action: 'keep',
        count: c.detail.orphans ?? 0,
        message: `point to no ${c.detail.parent ?? '?'} row; kept, and the foreign key ${c.object} was added NOT VALID, so every new row and every cascade is checked`,
      });
    }
  }
  const files: FileReport[] = scan.files.map((f) => toFileReport(f, input.mappings, config.schema));
  return {
    command: 'migrate',
    runId: input.runId,
    instance: config.instance,
    exitCode: input.exitCode,
    state: input.state,
    resumed: input.resumed,
    dataDir: config.dataDir,
    target: { dsn: config.target?.display ?? '', schema: config.schema },
    tables,
    findings: findings.toArray(),
    files,
    rejectFiles: input.rejectFiles,
    rejectDir: input.rejectDir,
    seconds: input.seconds,
    phases: input.phases,
    message: input.message,
  };
}
