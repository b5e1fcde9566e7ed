import { hostname } from 'node:os';
import type pg from 'pg';
import { VERSION } from '../../version.js';
import type { TargetDsn } from '../../config/dsn.js';
import type { ResolvedConfig } from '../../config/load-config.js';
import { discover, noStoreFinding } from '../../source/discover.js';
import { assertDataDir } from '../../source/walk.js';
import { ConfigError, ERROR_CODES, MigrateError, SourceError, TargetError, type ErrorCode } from '../../errors.js';
import { createRun, latestRun, rejectedRows, runFiles, setRunExitCode, setRunState, tableProgress } from '../../ledger/runs.js';
import { ensureLedger } from '../../ledger/schema.js';
import type { MappingSet } from '../../mapping/load.js';
import type { TableSpec } from '../../mapping/schema.js';
import type { MigrateReport } from '../../report/migrate-report.js';
import type { Finding } from '../../findings/finding.js';
import { compileTable, type OrphanFilter } from '../../tables/row-converter.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import { connectionLost, connectTarget } from '../../target/connect.js';
import { tooLongNames, unionSpecs } from '../shared/effective-spec.js';
import { collectTasks, groupByTarget, parentTables, type Task } from '../shared/tasks.js';
import type { Reporter } from '../../report/events.js';
import { loadTable } from './load-table.js';
import { acquireRunLock, releaseRunLock } from '../../target/lock.js';
import { buildMigrateReport } from './migrate-summary.js';
import { rawTextReader } from '../../source/read.js';
import { prepareRejectDir, writeRejectFiles } from './rejects-file.js';
import { runVerify } from '../verify/verify.js';
import { hashSourceFile } from '../../source/source-hash.js';
import { appForeignKeys, createIndexSql, ensureForeignKey, prepareTargetTable } from '../../target/target-ddl.js';
import { fitSpec, judgeGroup, widened } from '../shared/target-fit.js';
import { inspectTarget, MISSING_TABLE, schemaMissing, type TargetTableState } from '../../target/target-state.js';
import { missingParents, sourceParent } from '../shared/fk-orphans.js';
import { CHECK_BEFORE_LOAD_BYTES, quickCheck, sourceDamage } from '../shared/integrity.js';
import type { FileHash } from '../../source/source-hash.js';
import type { VerifyReport } from '../../report/verify-report.js';
import type { ColumnWidening } from '../../target/target-ddl.js';

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
}

/**
 * The migration of one instance: discover → snapshot → map → read → convert →
 * COPY → checkpoint, resumable at any point. The same call after a kill
 * continues the unfinished run; after a finished run on unchanged files it is a
 * no-op that says so.
 */
export async function runMigration(opts: MigrateOptions): Promise<MigrateReport> {
  const { config, mappings } = opts;
  if (config.target === null) throw new ConfigError('CONFIG_DSN_MISSING', 'migrate needs the target PostgreSQL');
  const started = Date.now();
  assertDataDir(config.dataDir);
  prepareRejectDir(opts.rejectDir);
  // The integrity check runs below, on the files the run loads (integrity.ts).
  const scan = await discover({ dataDir: config.dataDir, mappings, allowLive: config.allowLive, keepSnapshots: true, integrity: false });
  const workers: pg.Client[] = [];
  let control: pg.Client | null = null;
  let locked = false;
  // Set once the run is in the ledger: a stop on an error then marks it failed.
  let inLedger: string | null = null;
  try {
    preflight([...scan.findings, ...[noStoreFinding(scan, config.dataDir, config.allowEmpty)].filter((f) => f !== null)]);
    control = await connectTarget(config.target, `aragora-migrate migrate ${config.instance}`.slice(0, 63));
    const noSchema = await schemaMissing(control, config.schema);
    if (noSchema !== null) throw new TargetError(noSchema.code, noSchema.message);
    await ensureLedger(control);
    await acquireRunLock(control, opts.lockTimeoutSeconds, opts.signal);
    locked = true;

    const tasks = collectTasks(scan.files, scan.snapshots, mappings);
    const hashes: FileHash[] = [];
    for (const f of scan.files.filter((x) => scan.snapshots.has(x.path))) hashes.push(await hashSourceFile(f.absPath, f.path));

    const latest = await latestRun(control, config.instance, config.dataDir, config.schema);
    if (latest?.state === 'rolling-back') {
      throw new MigrateError('RUN_ROLLBACK_UNFINISHED', `the rollback of run ${latest.run_id} of instance ${config.instance} did not finish`);
    }
    // A rolled-back run left nothing behind: migrating again starts afresh.
    const previous = latest?.state === 'rolled-back' ? null : latest;
    const resume = previous !== null && sameFiles(await runFiles(control, previous.run_id), hashes);
    if (resume && (previous.state === 'loaded' || previous.state === 'verified')) {
      const done = `run ${previous.run_id} already migrated these files (finished ${previous.finished_at?.toISOString() ?? '?'})`;
      if (previous.state === 'verified' || !opts.verify) {
        return await buildMigrateReport(control, {
          runId: previous.run_id, config, scan, mappings, state: 'noop', resumed: false, exitCode: previous.exit_code ?? 0, rejectFiles: [], seconds: (Date.now() - started) / 1000,
          message: `nothing to do: ${done}`,
        });
      }
      // Loaded but never verified clean (killed during its own verify, or --no-verify): verified now.
      const verification = await runVerify({ config, mappings, reporter: opts.reporter, maxKeys: opts.maxKeys, runId: previous.run_id, client: control, source: { scan, hashes } });
      const rejected = await rejectedRows(control, previous.run_id);
      const exitCode = !verification.ok ? 4 : rejected > 0 ? 3 : 0;
      await setRunExitCode(control, previous.run_id, exitCode);
      const report = await buildMigrateReport(control, {
        runId: previous.run_id, config, scan, mappings, state: 'noop', resumed: false, exitCode, rejectFiles: [], seconds: (Date.now() - started) / 1000,
        message: `nothing to load: ${done}; ${verification.message}`,
      });
      return { ...report, verification };
    }
    if (!resume && previous !== null && previous.state !== 'loaded' && previous.state !== 'verified') {
      throw new MigrateError('RUN_SOURCE_CHANGED', `run ${previous.run_id} of instance ${config.instance} did not finish (${previous.state}), and the source files changed since it started`);
    }
    if (!resume && previous !== null) {
      // Loading the changed files on top would merge their rows a second time
      // (counters summed twice, logs appended twice).
      throw new MigrateError('RUN_ALREADY_MIGRATED', `run ${previous.run_id} of instance ${config.instance} already migrated this data dir (${previous.state}), and its files changed since`);
    }
    if (!resume) await refuseFilesLoadedElsewhere(control, hashes, tasks);

    // Every file this run loads is proven intact in this run (integrity.ts): a
    // small one before a row moves, a big one while the load runs; the run is
    // never loaded over a damaged file.
    const checks = new Map<string, Promise<string>>();
    for (const path of new Set(tasks.map((t) => t.file.path))) {
      const snapshot = scan.snapshots.get(path);
      if (snapshot === undefined) continue;
      const check = quickCheck(snapshot.readPath);
      // Settled below; a run that stops early leaves it unawaited.
      check.catch(() => undefined);
      checks.set(path, check);
    }
    for (const t of tasks) {
      if (t.file.sizeBytes + t.file.walBytes <= CHECK_BEFORE_LOAD_BYTES) damaged(t.file.path, await (checks.get(t.file.path) ?? 'ok'));
    }

    // Existing target tables are judged by the values they are to hold, every
    // table at once, before a run is created or resumed: a refusal leaves
    // nothing behind and names every column (target-fit.ts).
    const byTarget = groupByTarget(tasks);
    const states = await inspectTarget(control, config.schema, [...byTarget.keys()]);
    const judged = new Map<string, { spec: TableSpec; state: TargetTableState; widen: readonly ColumnWidening[] }>();
    const problems: { code: ErrorCode; message: string }[] = [];
    for (const [target, group] of byTarget) {
      const spec = unionSpecs(group.map((g) => g.spec));
      for (const name of tooLongNames(spec)) problems.push({ code: 'TARGET_IDENTIFIER_TOO_LONG', message: `${target}.${name} is ${Buffer.byteLength(name, 'utf8')} bytes; PostgreSQL cuts names at 63` });
      const state = states.get(target) ?? MISSING_TABLE;
      const j = judgeGroup(group, spec, state, config.widenColumns);
      for (const p of j.problems) problems.push({ code: p.code, message: `${p.message}${p.keys.length > 0 ? ` (e.g. ${p.keys.join(', ')})` : ''}` });
      judged.set(target, { spec, state, widen: j.widen });
    }
    const first = problems[0];
    if (first !== undefined) {
      // One error for all, with the first problem's code (plan gives each its own).
      throw new TargetError(first.code, `the target tables cannot take the source as it is:\n  ${problems.map((p) => p.message).join('\n  ')}`);
    }

    const runId = resume ? previous.run_id : newRunId(config.instance);
    if (!resume) {
      await createRun(
        control,
        { runId, instance: config.instance, host: hostname(), dataDir: config.dataDir, schema: config.schema, toolVersion: VERSION, options: { jobs: opts.jobs, batchRows: opts.batchRows, sourceTimezone: config.sourceTimezone, widenColumns: config.widenColumns } },
        hashes,
        tasks.map((t) => ({ file: t.file.path, table: t.spec.source, target: t.spec.target, rows: t.rows })),
      );
    }
    inLedger = runId;
    await setRunState(control, runId, 'running', null);

    // Target tables: created (with their triggers), or widened and completed,
    // before a single row moves. Each task then converts for the table as it
    // is: float4 rounding, int4 bounds, its NOT NULL columns.
    const ready = new Map<string, TargetTableState>();
    for (const [target, j] of judged) {
      const prepared = await prepareTargetTable(control, config.schema, j.spec, j.state, j.widen);
      if (prepared.created) await control.query('INSERT INTO aragora_migrate.created_tables (run_id, target_table) VALUES ($1, $2) ON CONFLICT DO NOTHING', [runId, target]);
      const changes = [
        ...prepared.widened.map((w) => ['widen_column', w.column, { from: w.from, to: w.to, rows: j.state.rows, bytes: j.state.bytes }] as const),
        ...prepared.addedColumns.map((c) => ['add_column', c, {}] as const),
        ...(prepared.created ? [] : prepared.addedTriggers.map((t) => ['add_trigger', t, {}] as const)),
      ];
      for (const [kind, object, detail] of changes) await recordSchemaChange(control, runId, target, kind, object, detail);
      ready.set(target, widened(j.state, j.widen));
    }
    const fitted = new Map(tasks.map((t) => [t, fitSpec(t.spec, ready.get(t.spec.target) ?? MISSING_TABLE)] as const));
    const parentsOf = parentTables(byTarget, (target, spec) => [...appForeignKeys(spec, mappings.bySource), ...(ready.get(target)?.foreignKeys ?? [])]);

    const progress = new Map((await tableProgress(control, runId)).map((p) => [`${p.source_file}\0${p.source_table}`, p] as const));
    const offsetOf = timeZoneOffsetFn(config.sourceTimezone);
    // Tasks feeding one target run one after another (the stage path reads what
    // the previous one wrote); groups run in parallel, biggest first, each
    // once the tables it references are loaded.
    const pending = [...byTarget.values()]
      .map((g) => g.filter((t) => progress.get(`${t.file.path}\0${t.spec.source}`)?.state !== 'loaded').sort((a, b) => order(a) - order(b) || a.file.path.localeCompare(b.file.path)))
      .filter((g) => g.length > 0)
      .sort((a, b) => b.reduce((n, t) => n + t.rows, 0) - a.reduce((n, t) => n + t.rows, 0));
    function order(t: Task): number {
      return progress.get(`${t.file.path}\0${t.spec.source}`)?.state === 'loading' ? 0 : 1;
    }
    const targetOf = (g: readonly Task[]): string => g[0]?.spec.target ?? '';
    const finished = new Set([...byTarget.keys()].filter((t) => !pending.some((g) => targetOf(g) === t)));
    let running = 0;
    const wakeups: (() => void)[] = [];
    const wakeAll = (): void => {
      for (const w of wakeups.splice(0)) w();
    };
    let failure: unknown = null;
    let interrupted = false;
    const abortAll = new AbortController();
    const onAbort = (): void => abortAll.abort();
    opts.signal.addEventListener('abort', onAbort);
    const fail = (err: unknown): void => {
      failure ??= err;
      abortAll.abort();
      wakeAll();
    };
    // Each result is judged once: a damaged big file stops the load as soon as it is known.
    const judgedChecks = [...checks].map(async ([path, check]) => damaged(path, await check)).map((p) => p.catch(fail));
    const nextGroup = async (): Promise<Task[] | undefined> => {
      for (;;) {
        if (failure !== null || abortAll.signal.aborted || pending.length === 0) return undefined;
        const i = pending.findIndex((g) => [...(parentsOf.get(targetOf(g)) ?? [])].every((p) => finished.has(p)));
        // Keys that reference each other in a circle: load in any order.
        if (i >= 0 || running === 0) return pending.splice(Math.max(i, 0), 1)[0];
        await new Promise<void>((resolve) => wakeups.push(resolve));
      }
    };
    const worker = async (client: pg.Client): Promise<void> => {
      for (let g = await nextGroup(); g !== undefined; g = await nextGroup()) {
        running++;
        try {
          await loadGroup(client, g);
        } finally {
          running--;
          finished.add(targetOf(g));
          wakeAll();
        }
      }
    };
    const loadGroup = async (client: pg.Client, g: readonly Task[]): Promise<void> => {
      const target = targetOf(g);
      for (const task of g) {
        if (failure !== null || abortAll.signal.aborted) break;
        const spec = fitted.get(task) ?? task.spec;
        const p = progress.get(`${task.file.path}\0${task.spec.source}`);
        const resuming = p?.state === 'loading';
        let direct: boolean;
        if (resuming) direct = p.direct_copy;
        else {
          const r = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${qualified(config.schema, task.spec.target)}) AS any`);
          direct = r.rows[0]?.any !== true;
        }
        await client.query(
          `UPDATE aragora_migrate.run_tables SET state = 'loading', direct_copy = $4, started_at = COALESCE(started_at, now()) WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
          [runId, task.file.path, task.spec.source, direct],
        );
        const doneBefore = Number(p?.rows_read ?? 0);
        opts.reporter.emit('table:start', { file: task.file.path, table: task.spec.source, rows: task.rows });
        const t0 = Date.now();
        try {
          const obj = task.file.objects.find((o) => o.name === task.spec.source);
          const fetchRaw = rawTextReader(task.snapshot.db, task.spec.source);
          const sourceColumns = (obj?.columns ?? []).filter((c) => !c.hidden).map((c) => c.name);
          const compiled = compileTable(spec, sourceColumns, { offsetOf, fetchRaw });
          // The referenced tables are loaded: rows pointing at none of their rows are rejected.
          const orphans: OrphanFilter[] = [];
          for (const fk of ready.get(target)?.foreignKeys ?? []) {
            // A table referencing itself: its own rows load in this same pass.
            const self = fk.parent === target && fk.parentSchema === config.schema ? sourceParent(task.spec.source, spec, fk) : undefined;
            const filter = await missingParents(client, task.snapshot.db, spec, compiled, fk, self);
            if (filter !== null && filter.missing.length > 0) orphans.push(filter);
          }
          const result = await loadTable({
            client, db: task.snapshot.db, dbPath: task.snapshot.readPath, compiled, spec, sourceColumns, sourceTimezone: config.sourceTimezone, orphans,
            runId, instance: config.instance, file: task.file.path, schema: config.schema,
            afterRowid: p?.last_rowid === null || p?.last_rowid === undefined ? null : BigInt(p.last_rowid),
            direct, batchRows: opts.batchRows, batchBytes: opts.batchBytes, signal: abortAll.signal, reporter: opts.reporter, doneBefore, rows: task.rows,
          });
          if (result.interrupted) {
            interrupted = true;
            break;
          }
          await client.query(
            `UPDATE aragora_migrate.run_tables SET state = 'loaded', finished_at = now(), direct_copy = direct_copy AND NOT $4 WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
            [runId, task.file.path, task.spec.source, result.switchedToStaging],
          );
          opts.reporter.emit('table:done', { file: task.file.path, table: task.spec.source, rows: doneBefore + result.rowsRead, ms: Date.now() - t0 });
        } catch (err: unknown) {
          fail(err instanceof MigrateError ? err : (connectionLost(err) ?? sourceDamage(err, task.file.path) ?? new Error(`${task.file.path} ${task.spec.source}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })));
          await client.query(`UPDATE aragora_migrate.run_tables SET state = 'failed' WHERE run_id = $1 AND source_file = $2 AND source_table = $3`, [runId, task.file.path, task.spec.source]).catch(() => undefined);
        }
      }
      // Indexes, the identity sequence and the application's foreign keys of a
      // finished table are done here, while other tables are still loading.
      if (failure === null && !abortAll.signal.aborted) await finishTarget(client, config.schema, runId, target, byTarget.get(target) ?? [], mappings);
    };
    for (let i = 0; i < Math.max(1, Math.min(opts.jobs, pending.length)); i++) {
      workers.push(await connectTarget(config.target, `aragora-migrate migrate ${config.instance} worker ${i + 1}`.slice(0, 63)));
    }
    await Promise.all(workers.map(worker));
    // The load is not done before every file it read is known to be intact.
    await Promise.all(judgedChecks);
    opts.signal.removeEventListener('abort', onAbort);
    if (opts.signal.aborted) interrupted = true;

    if (failure === null && !interrupted) await finishTargets(control, config.schema, runId, byTarget, mappings);
    const rejectFiles = await writeRejectFiles(control, runId, opts.rejectDir);
    const rejected = await rejectedRows(control, runId);
    const state = failure !== null ? 'failed' : interrupted ? 'interrupted' : 'loaded';
    const exitCode = failure !== null ? (failure instanceof MigrateError ? failure.exitCode : 1) : interrupted ? 130 : rejected > 0 ? 3 : 0;
    await setRunState(control, runId, state, exitCode, failure === null ? null : failure instanceof Error ? failure.message : String(failure));
    const how = `run the same command again to resume run ${runId}`;
    const message =
      state === 'loaded'
        ? `run ${runId} loaded every table${rejected > 0 ? `; ${rejected} row(s) rejected, see ${rejectFiles.length} reject file(s)` : ''}`
        : state === 'interrupted'
          ? `interrupted: every committed batch is kept; ${how}`
          : `failed: ${failure instanceof Error ? failure.message : String(failure)}; fix the cause, then ${how}`;
    let verification: VerifyReport | null = null;
    if (state === 'loaded' && opts.verify) {
      verification = await runVerify({ config, mappings, reporter: opts.reporter, maxKeys: opts.maxKeys, runId, client: control, source: { scan, hashes } });
    }
    const finalExit = verification !== null && !verification.ok ? 4 : exitCode;
    if (finalExit !== exitCode) await setRunExitCode(control, runId, finalExit);
    const report = await buildMigrateReport(control, {
      runId, config, scan, mappings, state, resumed: resume, exitCode: finalExit, rejectFiles, seconds: (Date.now() - started) / 1000,
      message: verification === null ? message : `${message}; ${verification.message}`,
    });
    return { ...report, verification };
  } catch (caught: unknown) {
    const err = connectionLost(caught) ?? caught;
    // The run stops here: the ledger says so, with the error, and the same command resumes it
    // (over a new connection when this one is gone).
    if (inLedger !== null && config.target !== null) {
      const error = err instanceof Error ? err.message : String(err);
      const code = err instanceof MigrateError ? err.exitCode : 1;
      await setRunState(control as pg.Client, inLedger, 'failed', code, error).catch(async () => {
        const fresh = await connectTarget(config.target as TargetDsn, 'aragora-migrate migrate (marking a failed run)');
        await setRunState(fresh, inLedger as string, 'failed', code, error).finally(() => fresh.end());
      }).catch(() => undefined);
    }
    throw err;
  } finally {
    for (const w of workers) await w.end().catch(() => undefined);
    if (locked && control !== null) await releaseRunLock(control).catch(() => undefined);
    await control?.end().catch(() => undefined);
    for (const s of scan.snapshots.values()) s.close();
  }
}

/** A file SQLite's own check finds damaged stops the run (exit 5). */
function damaged(path: string, result: string): void {
  if (result !== 'ok') throw new SourceError('SOURCE_CORRUPT', `${path} is damaged: ${result.slice(0, 300)}`, { file: path });
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
  if (blocking.some((f) => f.kind === 'source_busy')) throw new SourceError('SOURCE_BUSY', `source files are in use:\n  ${lines}`);
  const codes = new Set(blocking.map((f) => f.code));
  const [code] = codes;
  if (codes.size === 1 && code !== undefined && code in ERROR_CODES) throw new SourceError(code as ErrorCode, `the migration cannot proceed:\n  ${lines}`);
  throw new MigrateError('PLAN_BLOCKED', `the migration cannot proceed:\n  ${lines}`);
}

/**
 * The same bytes loaded under another instance name (or from a copy of the data
 * dir) would merge every row twice. Files without rows are exempt: two
 * instances can hold byte-identical empty stores.
 */
async function refuseFilesLoadedElsewhere(client: pg.Client, hashes: readonly FileHash[], tasks: readonly Task[]): Promise<void> {
  const withRows = new Set(tasks.filter((t) => t.rows > 0).map((t) => t.file.path));
  const shas = hashes.filter((h) => withRows.has(h.path)).map((h) => h.sha256);
  if (shas.length === 0) return;
  const r = await client.query<{ run_id: string; instance: string; data_dir: string; path: string }>(
    `SELECT r.run_id, r.instance, r.data_dir, f.path FROM aragora_migrate.run_files f JOIN aragora_migrate.runs r USING (run_id)
      WHERE f.sha256 = ANY($1::text[]) AND r.state <> 'rolled-back' ORDER BY r.started_at LIMIT 1`,
    [shas],
  );
  const hit = r.rows[0];
  if (hit !== undefined) {
    throw new MigrateError('RUN_ALREADY_LOADED', `${hit.path} is byte-identical to a file run ${hit.run_id} of instance ${hit.instance} (${hit.data_dir}) already migrated`);
  }
}

function sameFiles(a: readonly FileHash[], b: readonly FileHash[]): boolean {
  const key = (f: FileHash): string => `${f.path}\0${f.sha256}\0${f.walSha256 ?? ''}`;
  return a.length === b.length && a.map(key).sort().join('\n') === b.map(key).sort().join('\n');
}

function newRunId(instance: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const safe = instance.replace(/[^\w.-]+/g, '-').slice(0, 40);
  return `${stamp}-${safe}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * After the load: identity sequences past the loaded ids, the secondary
 * indexes, then the application's foreign keys (NOT VALID where orphans are
 * kept). Idempotent, so the final pass over every target also finishes a
 * table whose load ended in an earlier, killed process.
 */
async function finishTargets(client: pg.Client, schema: string, runId: string, byTarget: ReadonlyMap<string, Task[]>, mappings: MappingSet): Promise<void> {
  for (const [target, group] of byTarget) await finishTarget(client, schema, runId, target, group, mappings);
}

async function finishTarget(client: pg.Client, schema: string, runId: string, target: string, group: readonly Task[], mappings: MappingSet): Promise<void> {
  if (group.length === 0) return;
  const spec = unionSpecs(group.map((g) => g.spec));
  if (spec.surrogateKey !== undefined) {
    const col = spec.columns.find((c) => c.name === spec.surrogateKey)?.target ?? spec.surrogateKey;
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT COALESCE(max(${quoteIdent(col)}), 0) FROM ${qualified(schema, target)}), 1))`,
      [`${quoteIdent(schema)}.${quoteIdent(target)}`, col],
    );
  }
  for (const sql of createIndexSql(schema, spec)) await client.query(sql);
  for (const fk of appForeignKeys(spec, mappings.bySource)) {
    const added = await ensureForeignKey(client, schema, fk);
    if (added !== null) await recordSchemaChange(client, runId, target, 'add_foreign_key', added.name, { parent: added.parent, orphans: added.orphans, validated: added.validated });
  }
}

async function recordSchemaChange(client: pg.Client, runId: string, target: string, kind: string, object: string, detail: object): Promise<void> {
  await client.query(
    `INSERT INTO aragora_migrate.schema_changes (run_id, target_table, kind, object, detail) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (run_id, target_table, kind, object) DO UPDATE SET detail = EXCLUDED.detail, changed_at = now()`,
    [runId, target, kind, object, JSON.stringify(detail)],
  );
}
