import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import type pg from 'pg';
import { VERSION } from '../../version.js';
import type { TargetDsn } from '../../config/dsn.js';
import type { ResolvedConfig } from '../../config/load-config.js';
import { discover, noStoreFinding, type DiscoverResult } from '../../source/discover.js';
import { assertDataDir } from '../../source/walk.js';
import {
  ConfigError,
  ERROR_CODES,
  EXIT,
  MigrateError,
  stoppedRun,
  SourceError,
  TargetError,
  type ErrorCode,
  type ExitCode,
} from '../../errors.js';
import { createRun, rejectedRows, setRunExitCode, setRunState, type RunRow } from '../../ledger/runs.js';
import { ensureLedger } from '../../ledger/schema.js';
import type { MappingSet } from '../../mapping/load.js';
import { runErrorText, type MigrateReport, type RunError } from '../../report/migrate-report.js';
import type { Finding } from '../../findings/finding.js';
import { connectTarget } from '../../target/connect.js';
import { serverFault } from '../../target/server-fault.js';
import { withRunLock } from '../../target/transaction.js';
import { assertHoldsText, assertWritable, schemaMissing } from '../../target/target-state.js';
import { collectTasks, groupByTarget, type Task } from '../shared/tasks.js';
import type { Reporter } from '../../report/events.js';
import { buildMigrateReport, type SummaryInput } from './migrate-summary.js';
import { prepareRejectDir, writeRejectFiles } from './rejects-file.js';
import { runVerify } from '../verify/verify.js';
import { hashSourceFile, type FileHash } from '../../source/source-hash.js';
import { assertIntact, CHECK_BEFORE_LOAD_BYTES, CHECKS_AT_ONCE, quickCheck } from '../shared/integrity.js';
import { limiter } from '../../util/limit.js';
import type { VerifyReport } from '../../report/verify-report.js';
import { decideRun, filesLoadedElsewhere, lostTargets, pastRuns } from '../shared/run-history.js';
import { finishTargets, judgeTargets, keysAfterLoad, prepareTargets } from './target-tables.js';
import { loadTables, type LoadOutcome } from './load-tables.js';
import { PhaseClock } from '../shared/phase-clock.js';
import { checkRejectBudget } from './reject-budget.js';
import { refuseFailConflicts } from './fail-conflicts.js';
import { refuseConstraintBreaks } from './constraint-refusal.js';
import type { PreRunReadInput } from './profile-task.js';
import { missingPrivileges } from '../shared/privileges.js';

export interface MigrateOptions {
  readonly config: ResolvedConfig;
  readonly mappings: MappingSet;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  readonly jobs: number;
  readonly batchRows: number;
  readonly batchBytes: number;
  readonly lockTimeoutSeconds: number;
  readonly rejectDir: string;
  /** Verify every table once loaded (the default); `--no-verify` skips it. */
  readonly verify: boolean;
  readonly maxKeys: number;
  /** `--max-rejects N`: refuse before the run is created when plan's converters would reject more than N rows (src/pipeline/migrate/reject-budget.ts). */
  readonly maxRejects?: number;
}

/** What the phases of one migration share. */
interface Migration {
  readonly opts: MigrateOptions;
  readonly config: ResolvedConfig;
  readonly target: TargetDsn;
  readonly scan: DiscoverResult;
  /** Every mapped source table of the scan, with its target. */
  readonly tasks: readonly Task[];
  /** When the command started (Date.now()), for the report's seconds. */
  readonly started: number;
  /** The run's own connection: the ledger, the lock, the target's DDL. */
  readonly control: pg.Client;
  readonly clock: PhaseClock;
  /** The snapshotted files' hashes, under way since discovery (hashFiles). */
  readonly hashing: Promise<FileHash[]>;
  /** The integrity check of each file the run loads, under way since discovery (startSourceChecks). */
  readonly checking: Map<string, Promise<string>>;
  /** Stops the checks and the hashing: the run ends, or it will not load. */
  readonly stopChecks: AbortController;
}

/**
 * The migration of one instance: discover → snapshot → map → read → convert →
 * COPY → checkpoint, resumable at any point. The same call after a kill
 * continues the unfinished run; after a finished run on unchanged files it is a
 * no-op that says so.
 */
export async function runMigration(opts: MigrateOptions): Promise<MigrateReport> {
  const { config } = opts;
  const target = config.target;
  if (target === null) throw new ConfigError('CONFIG_DSN_MISSING', 'migrate needs the target PostgreSQL');
  const started = Date.now();
  const clock = new PhaseClock();
  assertDataDir(config.dataDir);
  prepareRejectDir(opts.rejectDir);
  // The integrity check runs later, on the files the run loads (checkSourceFiles).
  const scan = await clock.time('snapshot and hashing', () =>
    discover({
      dataDir: config.dataDir,
      mappings: opts.mappings,
      allowLive: config.allowLive,
      keepSnapshots: true,
      integrity: false,
    }),
  );
  let control: pg.Client | null = null;
  const stopChecks = new AbortController();
  try {
    preflight([
      ...scan.findings,
      ...[noStoreFinding(scan, config.dataDir, config.allowEmpty)].filter((f) => f !== null),
    ]);
    const tasks = collectTasks(scan.files, scan.snapshots, opts.mappings);
    // Started before the first round trip: each check reads every page on
    // another core, and this thread hashes while it waits on the server
    // (opening the ledger, taking the lock) instead of after.
    const hashing = hashFiles(scan, stopChecks.signal);
    hashing.catch(() => undefined); // awaited once the lock is held; a run that stops before leaves it
    const checking = startSourceChecks(scan, tasks, stopChecks.signal, hashing);
    control = await connectTarget(target, `aragora-migrate migrate ${config.instance}`.slice(0, 63));
    await openLedger(control, config.schema, [...groupByTarget(tasks).keys()]);
    const m: Migration = { opts, config, target, scan, tasks, started, control, clock, hashing, checking, stopChecks };
    return await withRunLock(control, opts.lockTimeoutSeconds, () => migrateChecked(m), opts.signal);
  } catch (caught: unknown) {
    throw serverFault(caught) ?? caught;
  } finally {
    // Settled by then wherever the load ran; a run that stopped before it leaves nothing running.
    stopChecks.abort();
    await control?.end().catch(() => undefined);
    for (const s of scan.snapshots.values()) s.close();
  }
}

/**
 * The run, under the migration lock: which run this is, the source files and
 * the target tables judged (and with --max-rejects the rejects counted) before
 * anything is written, then the load (parents first), the foreign keys, and
 * the run's end (reject files, verification, report).
 */
async function migrateChecked(m: Migration): Promise<MigrateReport> {
  const { opts, config, tasks, control, clock, checking } = m;
  const hashes = await clock.time('snapshot and hashing', () => m.hashing);
  const decision = decideRun(await pastRuns(control, config), config.instance, hashes, m.opts.verify);
  if (decision.kind === 'refuse' || decision.kind === 'noop') m.stopChecks.abort();
  if (decision.kind === 'refuse') throw decision.error;
  if (decision.kind === 'noop') return await reportNoop(m, decision.run, decision.verify, hashes);
  if (decision.kind === 'new') {
    const withRows = new Set(tasks.filter((t) => t.rows > 0).map((t) => t.file.path));
    const loaded = await filesLoadedElsewhere(control, hashes, withRows, config.schema);
    if (loaded !== null) throw loaded;
  }
  const checks = await clock.time('snapshot and hashing', () => checkSmallFiles(tasks, checking));
  const byTarget = groupByTarget(tasks);
  const judged = await clock.time('target tables', () =>
    judgeTargets(control, config.schema, byTarget, config.widenColumns),
  );
  if (opts.maxRejects !== undefined)
    await checkRejectBudget({
      tasks,
      judged,
      sourceTimezone: config.sourceTimezone,
      maxRejects: opts.maxRejects,
      reporter: opts.reporter,
      signal: opts.signal,
    });
  // A resumed run's own rows are in its targets: the load settles what is left, batch by batch.
  if (decision.kind === 'new') {
    const read: PreRunReadInput = {
      client: control,
      schema: config.schema,
      tasks,
      judged,
      sourceTimezone: config.sourceTimezone,
      reporter: opts.reporter,
      signal: opts.signal,
    };
    await refuseFailConflicts(read);
    await refuseConstraintBreaks(read);
  }
  if (decision.kind === 'resume') {
    const lost = await lostTargets(control, decision.run.run_id, (t) => judged.get(t)?.state.exists);
    if (lost !== null) throw lost;
  }
  const runId = decision.kind === 'resume' ? decision.run.run_id : await startRun(m, hashes, tasks);
  opts.reporter.emit('run', { runId, resumed: decision.kind === 'resume' });
  return await failRunOnError(m, runId, async () => {
    await setRunState(control, runId, 'running', null);
    const keysLater = keysAfterLoad(judged, byTarget, opts.mappings);
    const ready = await clock.time('target tables', () =>
      prepareTargets(control, config.schema, runId, judged, keysLater),
    );
    const outcome = await clock.time('load', () =>
      loadTables({
        target: m.target,
        control,
        runId,
        instance: config.instance,
        schema: config.schema,
        sourceTimezone: config.sourceTimezone,
        mappings: opts.mappings,
        byTarget,
        ready,
        checks,
        jobs: opts.jobs,
        batchRows: opts.batchRows,
        batchBytes: opts.batchBytes,
        reporter: opts.reporter,
        signal: opts.signal,
        allowLive: config.allowLive,
      }),
    );
    if (outcome.failure === null && !outcome.interrupted)
      await clock.time('indexes, sequences, foreign keys', () =>
        finishTargets(control, config.schema, runId, byTarget, opts.mappings),
      );
    return await endRun(m, runId, outcome, decision.kind === 'resume', hashes);
  });
}

/**
 * The target schema must exist, and the server take the run's writes (its
 * privileges for the ledger and `targets`, src/pipeline/shared/privileges.ts);
 * the ledger is created or brought up to date.
 */
async function openLedger(control: pg.Client, schema: string, targets: readonly string[]): Promise<void> {
  const noSchema = await schemaMissing(control, schema);
  if (noSchema !== null) throw new TargetError(noSchema.code, noSchema.message);
  await assertWritable(control);
  await assertHoldsText(control);
  const lacking = await missingPrivileges(control, schema, targets);
  if (lacking.length > 0)
    throw new TargetError('TARGET_PERMISSION_DENIED', `the run cannot write:\n  ${lacking.join('\n  ')}`);
  await ensureLedger(control);
}

/**
 * Blocking discover findings stop the run before anything is written, with
 * the code plan gave them (a busy file, a damaged one, no store at all), or
 * PLAN_BLOCKED when they differ.
 */
function preflight(findings: readonly Finding[]): void {
  const blocking = findings.filter((f) => f.action === 'block');
  if (blocking.length === 0) return;
  const lines = blocking.map((f) => `${f.file ?? ''}: ${f.message}`).join('\n  ');
  if (blocking.some((f) => f.kind === 'source_busy'))
    throw new SourceError('SOURCE_BUSY', `source files are in use:\n  ${lines}`);
  const codes = new Set(blocking.map((f) => f.code));
  const [code] = codes;
  if (codes.size === 1 && code !== undefined && code in ERROR_CODES)
    throw new SourceError(code as ErrorCode, `the migration cannot proceed:\n  ${lines}`);
  throw new MigrateError('PLAN_BLOCKED', `the migration cannot proceed:\n  ${lines}`);
}

/** The snapshotted files, hashed: what identifies this run's source. `stop`: the run ended before it needed them. */
async function hashFiles(scan: DiscoverResult, stop: AbortSignal): Promise<FileHash[]> {
  const hashes: FileHash[] = [];
  for (const f of scan.files.filter((x) => scan.snapshots.has(x.path)))
    hashes.push(await hashSourceFile(f.absPath, f.path, undefined, stop));
  return hashes;
}

/**
 * Every file this run loads is proven intact in this run
 * (src/pipeline/shared/integrity.ts): a small one before a row moves
 * (checkSmallFiles), a big one while the load runs; the run is never loaded
 * over a damaged file. Each file's check, by path.
 */
function startSourceChecks(
  scan: DiscoverResult,
  tasks: readonly Task[],
  stop: AbortSignal,
  hashing: Promise<unknown>,
): Map<string, Promise<string>> {
  const checks = new Map<string, Promise<string>>();
  // A worker thread per file at once: a data dir of a hundred files started a hundred.
  const slot = limiter(CHECKS_AT_ONCE);
  const check = (readPath: string): Promise<string> => slot(() => quickCheck(readPath, stop));
  for (const task of tasks) {
    const path = task.file.path;
    const snapshot = scan.snapshots.get(path);
    if (snapshot === undefined || checks.has(path)) continue;
    // A big file's check is judged while the load runs (checkSmallFiles): started
    // at once, it took a core from the hashing every run waits on before its
    // first row (two cores, 0.3M rows: the hashes were ready 0.09 s later).
    const big = task.file.sizeBytes + task.file.walBytes > CHECK_BEFORE_LOAD_BYTES;
    const checked = big
      ? hashing.then(
          () => check(snapshot.readPath),
          () => check(snapshot.readPath),
        )
      : check(snapshot.readPath);
    // Settled by the load; a run that stops before it leaves it unawaited.
    checked.catch(() => undefined);
    checks.set(path, checked);
  }
  return checks;
}

/** Waits for the checks of the small files; returns every file's check, for the load to judge the big ones. */
async function checkSmallFiles(
  tasks: readonly Task[],
  checks: Map<string, Promise<string>>,
): Promise<Map<string, Promise<string>>> {
  for (const t of tasks) {
    if (t.file.sizeBytes + t.file.walBytes <= CHECK_BEFORE_LOAD_BYTES)
      assertIntact(t.file.path, await (checks.get(t.file.path) ?? 'ok'));
  }
  return checks;
}

/** A new run in the ledger, with its files and its tables (pending). */
async function startRun(m: Migration, hashes: readonly FileHash[], tasks: readonly Task[]): Promise<string> {
  const { config, opts } = m;
  const runId = newRunId(config.instance);
  await createRun(
    m.control,
    {
      runId,
      instance: config.instance,
      host: hostname(),
      dataDir: config.dataDir,
      schema: config.schema,
      toolVersion: VERSION,
      options: {
        jobs: opts.jobs,
        batchRows: opts.batchRows,
        sourceTimezone: config.sourceTimezone,
        widenColumns: config.widenColumns,
      },
    },
    hashes,
    tasks.map((t) => ({ file: t.file.path, table: t.spec.source, target: t.spec.target, rows: t.rows })),
  );
  return runId;
}

function newRunId(instance: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const safe = instance.replace(/[^\w.-]+/g, '-').slice(0, 40);
  return `${stamp}-${safe}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Runs `work` for a run in the ledger. If it stops on an error, the ledger says
 * so, with the error, and the same command resumes the run (marked over a new
 * connection when this one is gone).
 */
async function failRunOnError<T>(m: Migration, runId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (caught: unknown) {
    const err = serverFault(caught) ?? caught;
    const error = err instanceof Error ? err.message : String(err);
    const code = exitCodeOf(err);
    await setRunState(m.control, runId, 'failed', code, error)
      .catch(async () => {
        const fresh = await connectTarget(m.target, 'aragora-migrate migrate (marking a failed run)');
        await setRunState(fresh, runId, 'failed', code, error).finally(() => fresh.end());
      })
      .catch(() => undefined);
    throw stoppedRun(err, runId);
  }
}

/** A MigrateError's exit code; anything else is a bug (exit 1). */
function exitCodeOf(err: unknown): ExitCode {
  return err instanceof MigrateError ? err.exitCode : EXIT.INTERNAL;
}

/**
 * The run's end: its reject files written from the ledger, its state and exit
 * code, the verification of a loaded run, and the report.
 */
async function endRun(
  m: Migration,
  runId: string,
  outcome: LoadOutcome,
  resumed: boolean,
  hashes: readonly FileHash[],
): Promise<MigrateReport> {
  const { control, opts } = m;
  const { failure, interrupted } = outcome;
  const rejectFiles = await m.clock.time('reject files', () => writeRejectFiles(control, runId, opts.rejectDir));
  const rejected = await rejectedRows(control, runId);
  const state = failure !== null ? 'failed' : interrupted ? 'interrupted' : 'loaded';
  const exitCode =
    failure !== null
      ? exitCodeOf(failure)
      : interrupted
        ? EXIT.INTERRUPTED
        : rejected > 0
          ? EXIT.REJECTED_ROWS
          : EXIT.OK;
  await setRunState(
    control,
    runId,
    state,
    exitCode,
    failure === null ? null : failure instanceof Error ? failure.message : String(failure),
  );
  const how = `run the same command again to resume run ${runId}`;
  const error = failure === null ? null : runError(failure);
  const message =
    state === 'loaded'
      ? `run ${runId} loaded every table${rejected > 0 ? `; ${rejected} row(s) rejected, see ${rejectFiles.length} reject file(s)` : ''}`
      : state === 'interrupted'
        ? `interrupted: every committed batch is kept; ${how}`
        : `failed: ${error === null ? '' : runErrorText(error)}; fix the cause, then ${how}`;
  const verification = state === 'loaded' && opts.verify ? await verifyRun(m, runId, hashes) : null;
  const finalExit = verification !== null && !verification.ok ? EXIT.VERIFY_DIFFERENCES : exitCode;
  if (finalExit !== exitCode) await setRunExitCode(control, runId, finalExit);
  const report = await reportRun(m, {
    runId,
    state,
    resumed,
    exitCode: finalExit,
    rejectFiles,
    message: verification === null ? message : `${message}; ${verification.message}`,
  });
  return { ...report, verification, error };
}

/** The error a run stopped on, for its report: a coded one with its code and hint. */
function runError(failure: unknown): RunError {
  if (failure instanceof MigrateError) return { code: failure.code, message: failure.message, hint: failure.hint };
  return { code: null, message: failure instanceof Error ? failure.message : String(failure), hint: null };
}

/**
 * The same files, migrated already: nothing to load. A run loaded but never
 * verified clean (killed during its own verify, or --no-verify) is verified now.
 */
async function reportNoop(
  m: Migration,
  run: RunRow,
  verify: boolean,
  hashes: readonly FileHash[],
): Promise<MigrateReport> {
  const done = `run ${run.run_id} already migrated these files (finished ${run.finished_at?.toISOString() ?? '?'})`;
  const noop = { runId: run.run_id, state: 'noop', resumed: false, rejectFiles: [] } as const;
  // The ledger holds the exit code this tool gave the run.
  if (!verify)
    return await reportRun(m, {
      ...noop,
      exitCode: (run.exit_code ?? EXIT.OK) as ExitCode,
      message: `nothing to do: ${done}`,
    });
  const verification = await verifyRun(m, run.run_id, hashes);
  const rejected = await rejectedRows(m.control, run.run_id);
  const exitCode = !verification.ok ? EXIT.VERIFY_DIFFERENCES : rejected > 0 ? EXIT.REJECTED_ROWS : EXIT.OK;
  await setRunExitCode(m.control, run.run_id, exitCode);
  const report = await reportRun(m, {
    ...noop,
    exitCode,
    message: `nothing to load: ${done}; ${verification.message}`,
  });
  return { ...report, verification };
}

/** Verifies a run against the files this command hashed, over the run's connection. */
async function verifyRun(m: Migration, runId: string, hashes: readonly FileHash[]): Promise<VerifyReport> {
  const { opts } = m;
  return m.clock.time('verify', () =>
    runVerify({
      config: m.config,
      mappings: opts.mappings,
      reporter: opts.reporter,
      maxKeys: opts.maxKeys,
      runId,
      client: m.control,
      source: { scan: m.scan, hashes },
    }),
  );
}

async function reportRun(
  m: Migration,
  r: Pick<SummaryInput, 'runId' | 'state' | 'resumed' | 'exitCode' | 'rejectFiles' | 'message'>,
): Promise<MigrateReport> {
  return buildMigrateReport(m.control, {
    ...r,
    phases: m.clock.toArray(),
    rejectDir: resolvePath(m.opts.rejectDir),
    config: m.config,
    scan: m.scan,
    mappings: m.opts.mappings,
    seconds: (Date.now() - m.started) / 1000,
  });
}
