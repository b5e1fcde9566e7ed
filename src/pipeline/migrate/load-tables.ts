import type pg from 'pg';
import type { TargetDsn } from '../../config/dsn.js';
import { MigrateError, SourceError, TargetError } from '../../errors.js';
import {
  forgetTableLoad,
  markTableFailed,
  markTableLoaded,
  markTableLoading,
  type RunTableKey,
} from '../../ledger/run-tables.js';
import { createdByRun } from '../../ledger/created-tables.js';
import { tableProgress, type TableProgress } from '../../ledger/run-tables.js';
import type { MappingSet } from '../../mapping/load.js';
import type { TableSpec } from '../../mapping/schema.js';
import type { Reporter } from '../../report/events.js';
import { rawTextReader } from '../../source/read.js';
import { compileTable, type CompiledTable, type OrphanFilter } from '../../tables/row-converter.js';
import { timeZoneOffsetFn, type OffsetFn } from '../../tables/timestamp.js';
import { connectTarget } from '../../target/connect.js';
import { serverFault } from '../../target/server-fault.js';
import { addKeysSql, appForeignKeys, hasPrimaryKey } from '../../target/target-ddl.js';
import { indexBuildSql } from '../../target/index-build.js';
import { isUniqueViolation, withTransaction } from '../../target/transaction.js';
import { unionSpecs } from '../shared/effective-spec.js';
import { MISSING_TABLE, targetIsEmpty, type TargetTableState } from '../../target/target-state.js';
import { qualified } from '../../util/quote.js';
import { missingParents, sourceParent } from '../shared/fk-orphans.js';
import { oversizedKeys } from '../shared/oversized-keys.js';
import { assertIntact, sourceDamage } from '../shared/integrity.js';
import { fitSpec } from '../shared/target-fit.js';
import { parentTables, sourceColumnsOf, type Task } from '../shared/tasks.js';
import { GroupQueue, pendingGroups, targetOf, type TaskGroup } from './group-queue.js';
import { loadTable, type LoadStart, type LoadTableResult } from './load-table.js';
import { comparedColumns, digestPlan, type DigestPlan } from '../shared/digest-plan.js';
import { storesUtf8, targetColumnTypes } from '../../target/column-types.js';
import { finishTarget } from './target-tables.js';

export interface LoadTablesInput {
  readonly target: TargetDsn;
  /** The run's connection: reads the ledger's progress. The load itself runs on `jobs` connections of its own. */
  readonly control: pg.Client;
  readonly runId: string;
  readonly instance: string;
  readonly schema: string;
  readonly sourceTimezone: string;
  readonly mappings: MappingSet;
  readonly byTarget: ReadonlyMap<string, readonly Task[]>;
  /** Each target table as prepared for the load (src/pipeline/migrate/target-tables.ts). */
  readonly ready: ReadonlyMap<string, TargetTableState>;
  /** Integrity checks of the files the run loads, by path: a damaged file stops the load as soon as it is known. */
  readonly checks: ReadonlyMap<string, Promise<string>>;
  readonly jobs: number;
  readonly batchRows: number;
  readonly batchBytes: number;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  /** --allow-live: a file may gain rows while it is read, so a table read short of its count is a warning, not a failure. */
  readonly allowLive: boolean;
}

export interface LoadOutcome {
  /** The first error a table stopped on (the others stopped after it), or null. */
  readonly failure: unknown;
  /** A signal stopped the load; every committed batch is kept. */
  readonly interrupted: boolean;
}

/** What every table's load reads, built once per run. */
interface LoadContext extends LoadTablesInput {
  readonly queue: GroupQueue<pg.Client>;
  readonly progress: ReadonlyMap<string, TableProgress>;
  readonly fitted: ReadonlyMap<Task, TableSpec>;
  readonly offsetOf: OffsetFn;
  interrupted: boolean;
}

/**
 * The rows the load read of a table against the rows the snapshot holds
 * (counted at discovery): a read that stopped short, whatever the cause,
 * fails the table before it is marked loaded rather than pass as complete,
 * since verify reads the source the same way and would agree with it. Under
 * --allow-live a live file may change between the two, and it is a warning.
 */
function allRowsRead(task: Task, read: number, ctx: LoadContext): void {
  if (read === task.rows) return;
  const message = `${task.file.path} ${task.spec.source}: the load read ${read} row(s) of the ${task.rows} the table holds`;
  if (ctx.allowLive)
    ctx.reporter.emit('warn', { message: `${message} (--allow-live: the file changed while it was read)` });
  else throw new SourceError('SOURCE_ROWS_UNREAD', message, { file: task.file.path, table: task.spec.source });
}

/**
 * Loads every table the run has not loaded yet. The groups feeding one target
 * each run on one connection, in parallel on up to `jobs` connections, biggest
 * first, each once the tables it references are loaded (src/pipeline/migrate/group-queue.ts).
 * A table that fails stops the rest after their current batch; each keeps
 * what it committed, and the same command resumes.
 */
export async function loadTables(input: LoadTablesInput): Promise<LoadOutcome> {
  const progress = new Map(
    (await tableProgress(input.control, input.runId)).map(
      (p) => [progressKey(p.source_file, p.source_table), p] as const,
    ),
  );
  const stateOf = (t: Task): TableProgress['state'] | undefined =>
    progress.get(progressKey(t.file.path, t.spec.source))?.state;
  const parentsOf = parentTables(input.byTarget, (target, spec) => [
    ...appForeignKeys(spec, input.mappings.bySource),
    ...(input.ready.get(target)?.foreignKeys ?? []),
  ]);
  const queue = new GroupQueue<pg.Client>(pendingGroups(input.byTarget, stateOf), input.byTarget.keys(), parentsOf);
  const toLoad = [...input.byTarget.values()].flat().filter((t) => stateOf(t) !== 'loaded');
  input.reporter.emit('phase', { phase: 'loading', rows: toLoad.reduce((n, t) => n + t.rows, 0) });
  const fitted = new Map(
    [...input.byTarget.values()]
      .flat()
      .map((t) => [t, fitSpec(t.spec, input.ready.get(t.spec.target) ?? MISSING_TABLE)] as const),
  );
  const ctx: LoadContext = {
    ...input,
    queue,
    progress,
    fitted,
    offsetOf: timeZoneOffsetFn(input.sourceTimezone),
    interrupted: false,
  };

  const onAbort = (): void => queue.interrupt();
  input.signal.addEventListener('abort', onAbort);
  // Each result is judged once: a damaged big file stops the load as soon as it is known.
  const judgedChecks = [...input.checks]
    .map(async ([path, check]) => assertIntact(path, await check))
    .map((p) => p.catch((err: unknown) => queue.fail(err)));
  const workers: pg.Client[] = [];
  try {
    // Opened at once: each is a few round trips (TLS, authentication, session settings).
    const opened = await Promise.allSettled(
      Array.from({ length: Math.max(1, Math.min(input.jobs, queue.size)) }, (_, i) =>
        connectTarget(input.target, `aragora-migrate migrate ${input.instance} worker ${i + 1}`.slice(0, 63)),
      ),
    );
    for (const o of opened) if (o.status === 'fulfilled') workers.push(o.value);
    const refused = opened.find((o) => o.status === 'rejected');
    if (refused !== undefined) throw refused.reason;
    await Promise.all(workers.map((client) => queue.drain(client, (g) => loadGroup(client, g, ctx))));
    // The load is not done before every file it read is known to be intact.
    await Promise.all(judgedChecks);
  } finally {
    input.signal.removeEventListener('abort', onAbort);
    for (const w of workers) await w.end().catch(() => undefined);
  }
  return { failure: queue.failure, interrupted: ctx.interrupted || input.signal.aborted };
}

function progressKey(file: string, table: string): string {
  return `${file}\0${table}`;
}

/**
 * The tasks of one target, one after another; then, while other tables are
 * still loading, the target's indexes (built at once on every connection
 * free for them), identity sequence and the application's foreign keys.
 */
async function loadGroup(client: pg.Client, group: TaskGroup, ctx: LoadContext): Promise<void> {
  const target = targetOf(group);
  for (const task of group) {
    if (ctx.queue.stopped) break;
    if ((await loadTask(client, task, ctx)) === 'interrupted') {
      ctx.interrupted = true;
      break;
    }
  }
  if (!ctx.queue.stopped)
    await finishTarget(client, ctx.schema, ctx.runId, target, ctx.byTarget.get(target) ?? [], ctx.mappings, (sqls) =>
      ctx.queue.spread(
        client,
        sqls.map(
          (sql) => async (c: pg.Client) => void (await c.query(indexBuildSql(sql, !ctx.queue.othersWorking(c)))),
        ),
      ),
    );
}

/**
 * One source table: where it starts (fresh, or where an earlier process
 * stopped), its rows, and its state in the ledger. An error marks the table
 * failed and stops the load.
 */
async function loadTask(client: pg.Client, task: Task, ctx: LoadContext): Promise<'loaded' | 'interrupted' | 'failed'> {
  const at: RunTableKey = { runId: ctx.runId, file: task.file.path, table: task.spec.source };
  const spec = ctx.fitted.get(task) ?? task.spec;
  const p = ctx.progress.get(progressKey(at.file, at.table));
  // A resumed table keeps the way it started; a fresh one COPYs straight in when the target is empty.
  const direct = p?.state === 'loading' ? p.direct_copy : await targetIsEmpty(client, ctx.schema, task.spec.target);
  await markTableLoading(client, at, direct);
  const doneBefore = Number(p?.rows_read ?? 0);
  ctx.reporter.emit('table:start', { file: at.file, table: at.table, rows: task.rows });
  const t0 = Date.now();
  try {
    const sourceColumns = sourceColumnsOf(task);
    const compiled = compileTable(spec, sourceColumns, {
      offsetOf: ctx.offsetOf,
      fetchRaw: rawTextReader(task.snapshot.db, at.table),
    });
    const orphans = await orphanFilters(client, task, spec, compiled, ctx);
    const oversized = await oversizedKeys(client, task.snapshot.db, spec, compiled);
    const digestPlan = await loadDigestPlan(client, spec, sourceColumns, compiled, ctx);
    const load = (start: LoadStart): Promise<LoadTableResult> =>
      loadTable({
        client,
        at,
        instance: ctx.instance,
        schema: ctx.schema,
        spec,
        compiled,
        source: {
          db: task.snapshot.db,
          dbPath: task.snapshot.readPath,
          sourceColumns,
          rows: task.rows,
          sourceTimezone: ctx.sourceTimezone,
          orphans,
          oversizedKeys: oversized,
          digestPlan,
        },
        start,
        batchRows: ctx.batchRows,
        batchBytes: ctx.batchBytes,
        signal: ctx.queue.signal,
        reporter: ctx.reporter,
      });
    let before = doneBefore;
    let result = await load({
      afterRowid: p?.last_rowid === null || p?.last_rowid === undefined ? null : BigInt(p.last_rowid),
      direct,
      doneBefore,
    });
    if (!result.interrupted && !(await keysAdded(client, at, task, ctx))) {
      ctx.reporter.emit('warn', {
        message: `${at.file} ${at.table}: rows share a key of ${task.spec.target} once converted; loading the table again with its key in place, where its conflict policy decides between them`,
      });
      before = 0;
      result = await load({ afterRowid: null, direct: true, doneBefore: 0 });
    }
    if (result.interrupted) return 'interrupted';
    allRowsRead(task, before + result.rowsRead, ctx);
    await markTableLoaded(client, at, result.switchedToStaging);
    ctx.reporter.emit('table:done', {
      file: at.file,
      table: at.table,
      rows: before + result.rowsRead,
      ms: Date.now() - t0,
    });
    return 'loaded';
  } catch (err: unknown) {
    ctx.queue.fail(
      err instanceof MigrateError
        ? err
        : (serverFault(err)
            ?? sourceDamage(err, at.file)
            ?? new Error(`${at.file} ${at.table}: ${err instanceof Error ? err.message : String(err)}`, {
              cause: err,
            })),
    );
    await markTableFailed(client, at).catch(() => undefined);
    return 'failed';
  }
}

/**
 * The keys of a table created without them (src/pipeline/migrate/target-tables.ts,
 * keysAfterLoad), added once its one source table is in; true when the table
 * has them now. False when rows of the source share a key once converted
 * (distinct bytes in SQLite, equal in PostgreSQL: an invalid UTF-8 byte
 * replaced by U+FFFD, beside a key holding U+FFFD itself): the table is then
 * emptied and the run forgets its load of it, in one transaction that adds the
 * keys, so that loading it again goes the way a table created with its keys
 * goes, and its conflict policy decides. Rows the run did not load refuse
 * that (TARGET_TABLE_WRITTEN) rather than being emptied with the rest.
 */
async function keysAdded(client: pg.Client, at: RunTableKey, task: Task, ctx: LoadContext): Promise<boolean> {
  const target = task.spec.target;
  if ((await hasPrimaryKey(client, ctx.schema, target)) || !(await createdByRun(client, ctx.runId, target)))
    return true;
  const addKeys = addKeysSql(ctx.schema, unionSpecs([task.spec]));
  try {
    await client.query(indexBuildSql(addKeys, !ctx.queue.othersWorking(client)));
    return true;
  } catch (err: unknown) {
    if (!isUniqueViolation(err)) throw err;
  }
  await withTransaction(client, async (tx) => {
    const table = qualified(ctx.schema, target);
    const held = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    const loaded = (await tableProgress(tx, ctx.runId)).find(
      (x) => x.source_file === at.file && x.source_table === at.table,
    );
    if (held.rows[0]?.n !== String(loaded?.rows_loaded ?? 0))
      throw new TargetError(
        'TARGET_TABLE_WRITTEN',
        `${table} holds ${held.rows[0]?.n ?? '?'} rows where the run loaded ${String(loaded?.rows_loaded ?? 0)}: something else wrote into the table the run created`,
      );
    await tx.query(`TRUNCATE ${table}`);
    await forgetTableLoad(tx, at);
    await tx.query(addKeys);
  });
  return false;
}

/** How the load digests this table's rows for verify: the compared columns as the target types them now. */
async function loadDigestPlan(
  client: pg.Client,
  spec: TableSpec,
  sourceColumns: readonly string[],
  compiled: CompiledTable,
  ctx: LoadContext,
): Promise<DigestPlan> {
  const types = await targetColumnTypes(client, ctx.schema, spec.target);
  const { compared, canons, binary } = comparedColumns(spec, compiled.targetColumns, types, await storesUtf8(client));
  return digestPlan({
    spec,
    sourceColumns,
    sourceTimezone: ctx.sourceTimezone,
    targetColumns: compiled.targetColumns,
    compared,
    canons,
    binary,
  });
}

/** The referenced tables are loaded: rows pointing at none of their rows are rejected. */
async function orphanFilters(
  client: pg.Client,
  task: Task,
  spec: TableSpec,
  compiled: CompiledTable,
  ctx: LoadContext,
): Promise<OrphanFilter[]> {
  const target = task.spec.target;
  const orphans: OrphanFilter[] = [];
  for (const fk of ctx.ready.get(target)?.foreignKeys ?? []) {
    // A table referencing itself: its own rows load in this same pass.
    const self =
      fk.parent === target && fk.parentSchema === ctx.schema ? sourceParent(task.spec.source, spec, fk) : undefined;
    const filter = await missingParents(client, task.snapshot.db, spec, compiled, fk, self);
    if (filter !== null && filter.missing.length > 0) orphans.push(filter);
  }
  return orphans;
}
