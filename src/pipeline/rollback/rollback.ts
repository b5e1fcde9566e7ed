import type pg from 'pg';
import type { ResolvedConfig } from '../../config/load-config.js';
import { ConfigError, MigrateError, EXIT } from '../../errors.js';
import { recordRollbackOfTable, stageRunChanges } from '../../ledger/rollbacks.js';
import { runById, setRunState, type RunRow } from '../../ledger/runs.js';
import { ledgerExists } from '../../ledger/schema.js';
import type { MappingSet } from '../../mapping/load.js';
import { qualified, quoteIdent, quoteLiteral } from '../../util/quote.js';
import { previewRestore, restoreArchivedFiles } from '../archive/archive.js';
import { connectTarget } from '../../target/connect.js';
import { assertWritable } from '../../target/target-state.js';
import { withRunLock, withTransaction } from '../../target/transaction.js';
import type { RollbackReport, RollbackTable } from '../../report/rollback-report.js';
import {
  keyMatch,
  runNullKeyRow,
  planRollback,
  planTable,
  tableGone,
  restorableColumns,
  type RollbackPlan,
  type TableWork,
} from './rollback-plan.js';

export interface RollbackOptions {
  readonly config: ResolvedConfig;
  readonly mappings: MappingSet;
  readonly runId: string;
  /** Roll back rows the application changed since the run too (their keys are recorded). */
  readonly force: boolean;
  readonly lockTimeoutSeconds: number;
  readonly maxKeys: number;
  /**
   * Only report what a rollback would do (state `dry-run`, exit 5 where it
   * would be refused): SELECTs in a read-only transaction, no lock, nothing
   * written to the target, the ledger or the files.
   */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Undoes one run in PostgreSQL and puts its archived files back. Per target
 * table, in one transaction: the rows the run inserted are deleted, the rows it
 * overwrote or merged get their row from before, and a ledger row records it,
 * so a kill between tables leaves whole tables done and a rerun continues.
 *
 * A row the application changed since the run is recognised by its xmin: the
 * run's batches and every rollback record their transaction ids, so a row whose
 * xmin is none of those was written by someone else. Such rows stop the
 * rollback (exit 5, keys listed) unless --force.
 *
 * With `dryRun`, the same plan (src/pipeline/rollback/rollback-plan.ts) is
 * reported instead of applied.
 */
export async function runRollback(opts: RollbackOptions): Promise<RollbackReport> {
  const { config } = opts;
  if (config.target === null) throw new ConfigError('CONFIG_DSN_MISSING', 'rollback needs the target PostgreSQL');
  const started = Date.now();
  const client = await connectTarget(config.target, `aragora-migrate rollback ${opts.runId}`.slice(0, 63));
  try {
    if (!(await ledgerExists(client)))
      throw new ConfigError(
        'ROLLBACK_NO_RUN',
        `no migration ledger in ${config.target.display}: nothing was migrated there`,
      );
    const run = await runById(client, opts.runId);
    if (run === null) throw new ConfigError('ROLLBACK_NO_RUN', `no run ${opts.runId} in the ledger`);
    const report = reportOf(run, opts, started);
    if (run.state === 'rolled-back')
      return report('noop', [], noFiles(), `nothing to do: run ${run.run_id} is already rolled back`);
    // A dry run only reads: it takes no lock, so it neither waits for a running migrate nor holds one up.
    if (opts.dryRun === true) return await previewRollback(client, run, opts, report);
    await assertWritable(client);
    // The migration lock: no migrate (and no other rollback) writes meanwhile,
    // and a run that is still loading cannot be rolled back under its feet.
    return await withRunLock(
      client,
      opts.lockTimeoutSeconds,
      () => rollbackRun(client, run, opts, report),
      opts.signal,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

type ReportOf = (
  state: RollbackReport['state'],
  tables: RollbackTable[],
  files: { restored: string[]; alreadyInPlace: string[] },
  message: string,
  exitCode?: RollbackReport['exitCode'],
) => RollbackReport;

/** No archived file moved back (a noop, a refusal). */
const noFiles = (): { restored: string[]; alreadyInPlace: string[] } => ({ restored: [], alreadyInPlace: [] });

function reportOf(run: RunRow, opts: RollbackOptions, started: number): ReportOf {
  return (state, tables, files, message, exitCode) => ({
    command: 'rollback',
    runId: run.run_id,
    instance: run.instance,
    exitCode: exitCode ?? (state === 'refused' ? EXIT.REFUSED : EXIT.OK),
    state,
    forced: opts.force,
    tables,
    filesRestored: files.restored,
    filesAlreadyInPlace: files.alreadyInPlace,
    seconds: (Date.now() - started) / 1000,
    message,
  });
}

/** The plan as report rows: what a rollback would do per table (done tables as done earlier). */
function plannedTables(plan: RollbackPlan, maxKeys: number): RollbackTable[] {
  return plan.tables.map(({ work, plan: p }) =>
    p === null
      ? doneEarlier(work)
      : {
          target: work.target,
          rowsDeleted: p.rowsDeleted,
          rowsRestored: p.rowsRestored,
          changed: p.changed.length,
          changedKeys: p.changed.slice(0, maxKeys).map((x) => (x.deleted ? `${x.k} (deleted)` : x.k)),
          alreadyDone: false,
          dropped: p.dropped,
          keptBecause: p.keptBecause,
          gone: p.gone,
        },
  );
}

function doneEarlier(w: TableWork): RollbackTable {
  return {
    target: w.target,
    rowsDeleted: 0,
    rowsRestored: 0,
    changed: 0,
    changedKeys: [],
    alreadyDone: true,
    dropped: false,
    keptBecause: null,
    gone: false,
  };
}

/** The rows changed since the run, with their keys per table; null when there are none (the rollback may proceed without --force). */
function changedSince(run: RunRow, tables: readonly RollbackTable[]): string | null {
  const total = tables.reduce((n, t) => n + t.changed, 0);
  if (total === 0) return null;
  const listed = tables
    .filter((t) => t.changed > 0)
    .map(
      (t) =>
        `${t.target}: ${t.changedKeys.join(', ')}${t.changed > t.changedKeys.length ? ` (+${t.changed - t.changedKeys.length} more)` : ''}`,
    );
  return `${total} row(s) written by run ${run.run_id} changed since (${listed.join('; ')})`;
}

/** What a rollback does (or would do), summed over the tables. */
function totals(tables: readonly RollbackTable[]): {
  deleted: number;
  restored: number;
  dropped: number;
  changed: number;
} {
  return {
    deleted: tables.reduce((n, t) => n + t.rowsDeleted, 0),
    restored: tables.reduce((n, t) => n + t.rowsRestored, 0),
    dropped: tables.filter((t) => t.dropped).length,
    changed: tables.reduce((n, t) => n + t.changed, 0),
  };
}

/**
 * The dry run: the plan the real rollback checks and applies, and the files it
 * would move back, reported. Exit 5 where the real one would refuse (rows
 * changed since, without --force); a later run on its tables and a file it
 * could not move back throw the errors the real one throws.
 */
async function previewRollback(
  client: pg.Client,
  run: RunRow,
  opts: RollbackOptions,
  report: ReportOf,
): Promise<RollbackReport> {
  const tables = plannedTables(await planRollback(client, run, opts.mappings), opts.maxKeys);
  const files = await previewRestore(client, run.run_id, run.data_dir);
  const changed = changedSince(run, tables);
  if (changed !== null && !opts.force)
    return report(
      'dry-run',
      tables,
      files,
      `dry run: a rollback of run ${run.run_id} would be refused: ${changed}. Check them; --force rolls them back too. Nothing was changed`,
      EXIT.REFUSED,
    );
  const n = totals(tables);
  return report(
    'dry-run',
    tables,
    files,
    `dry run: rolling back run ${run.run_id} would delete ${n.deleted} row(s), restore ${n.restored} to their state before the run and drop ${n.dropped} table(s)${n.changed > 0 ? `; ${n.changed} changed since the run would be rolled back anyway (--force)` : ''}${files.restored.length > 0 ? `; ${files.restored.length} archived file(s) would move back` : ''}. Nothing was changed`,
  );
}

/** The rollback of one run, under the migration lock: refuse if later runs or changed rows stand in the way, then undo table by table, then put the files back. */
async function rollbackRun(
  client: pg.Client,
  run: RunRow,
  opts: RollbackOptions,
  report: ReportOf,
): Promise<RollbackReport> {
  // Check every table first, with the plan the dry run reports, so a refusal changes nothing anywhere.
  const plan = await planRollback(client, run, opts.mappings);
  const changed = changedSince(run, plannedTables(plan, opts.maxKeys));
  if (changed !== null && !opts.force) {
    const tables = plannedTables(plan, opts.maxKeys).map((t) => ({
      ...t,
      rowsDeleted: 0,
      rowsRestored: 0,
      dropped: false,
      keptBecause: null,
    }));
    return report(
      'refused',
      tables,
      noFiles(),
      `refused: ${changed}; nothing was rolled back. Check them; --force rolls them back too`,
    );
  }

  await setRunState(client, run.run_id, 'rolling-back', 'unchanged');
  const tables: RollbackTable[] = [];
  for (const { work } of plan.tables)
    tables.push(work.done ? doneEarlier(work) : await rollbackTable(client, run.run_id, run.target_schema, work, opts));
  const files = await restoreArchivedFiles(client, run.run_id, run.data_dir);
  await setRunState(client, run.run_id, 'rolled-back', 'unchanged');
  const n = totals(tables);
  return report(
    'rolled-back',
    tables,
    files,
    `run ${run.run_id} rolled back: ${n.deleted} row(s) deleted, ${n.restored} restored to their state before the run${n.changed > 0 ? `, ${n.changed} changed since the run rolled back anyway (--force)` : ''}${files.restored.length > 0 ? `; ${files.restored.length} archived file(s) moved back` : ''}`,
  );
}

/**
 * One target table, in one transaction: lock it, plan it again (the
 * application may have written since the check) with the dry run's planTable,
 * then apply the plan: delete what the run inserted, restore what it changed,
 * drop the table if the plan says so, and record it as done.
 */
async function rollbackTable(
  client: pg.Client,
  runId: string,
  schema: string,
  w: TableWork,
  opts: RollbackOptions,
): Promise<RollbackTable> {
  const table = qualified(schema, w.target);
  return withTransaction(client, async (tx) => {
    if (await tableGone(tx, table)) {
      await recordRollbackOfTable(tx, { runId, target: w.target, rowsDeleted: 0, rowsRestored: 0, forcedKeys: [] });
      return { ...doneEarlier(w), alreadyDone: false, gone: true };
    }
    await tx.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
    const q = await stageRunChanges(tx, runId, w.target);
    const plan = await planTable(tx, q, runId, schema, w);
    const changed = plan.changed;
    if (changed.length > 0 && !opts.force) {
      throw new MigrateError(
        'ROLLBACK_ROWS_CHANGED',
        `${changed.length} row(s) of ${w.target} written by run ${runId} changed while the rollback ran: ${changed
          .slice(0, opts.maxKeys)
          .map((x) => x.k)
          .join(', ')}`,
      );
    }
    // Its `rowid:` handles name no row: the run's own rows with a NULL in the key go by runNullKeyRow.
    const nullKeyed =
      plan.handles > 0
        ? ((await q(`DELETE FROM ${table} AS t WHERE ${runNullKeyRow(w.keyColumns)}`)).rowCount ?? 0)
        : 0;
    const deleted =
      nullKeyed
      + ((await q(`DELETE FROM ${table} AS t USING rb_ins AS x WHERE ${keyMatch(w.keyColumns, 'x.k')}`)).rowCount ?? 0);
    const restored = await restoreChangedRows(tx, table, w);
    if (plan.dropped) await tx.query(`DROP TABLE ${table}`);
    await recordRollbackOfTable(tx, {
      runId,
      target: w.target,
      rowsDeleted: deleted,
      rowsRestored: restored,
      forcedKeys: changed.map((x) => x.k),
    });
    return {
      target: w.target,
      rowsDeleted: deleted,
      rowsRestored: restored,
      changed: changed.length,
      changedKeys: changed.slice(0, opts.maxKeys).map((x) => x.k),
      alreadyDone: false,
      dropped: plan.dropped,
      keptBecause: plan.keptBecause,
      gone: plan.gone,
    };
  });
}

/** The rows the run changed (staged in rb_res) get their values from before the run back; returns how many. */
async function restoreChangedRows(tx: pg.Client, table: string, w: TableWork): Promise<number> {
  const cols = await restorableColumns(tx, table, w.keyColumns);
  if (cols.length === 0) return 0;
  // A column added after the run is missing from the row before: it keeps its value.
  const sets = cols.map(
    (c) =>
      `${quoteIdent(c)} = CASE WHEN r.before_row ? ${quoteLiteral(c)} THEN (jsonb_populate_record(NULL::${table}, r.before_row)).${quoteIdent(c)} ELSE t.${quoteIdent(c)} END`,
  );
  return (
    (
      await tx.query(
        `UPDATE ${table} AS t SET ${sets.join(', ')} FROM rb_res AS r WHERE ${keyMatch(w.keyColumns, 'r.row_key')}`,
      )
    ).rowCount ?? 0
  );
}
