/**
 * The four ways of moving the benchmark source into PostgreSQL. Each returns
 * the measured commands; run.ts times nothing itself, so setup (creating the
 * database and, for a–c, the typed target tables) is never part of a figure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failureOf, runMeasured, type Measured } from './measure.js';
import type { BenchSource } from './generate.js';
import type { BenchTable } from './target.js';

export type ApproachId = 'a' | 'b' | 'c' | 'd';

export const APPROACH_NAMES: Readonly<Record<ApproachId, string>> = {
  a: 'sqlite3 -csv export + psql \\copy',
  b: 'psql \\copy of the CSV (ingestion floor)',
  c: 'pgloader (2 workers, 10k batches)',
  d: 'aragora-migrate migrate',
};

export interface ApproachContext {
  readonly source: BenchSource;
  readonly tables: readonly BenchTable[];
  readonly dbUrl: string;
  /** Per-size scratch space: CSVs, pgloader files, the tool's JSON report. */
  readonly workDir: string;
  readonly withIndexes: boolean;
  /**
   * How (d) verifies: `default` runs `migrate` as an operator would (its own verify at
   * the end); `apart` runs `migrate --no-verify`, then `verify`, timed as two steps;
   * `skip` runs `migrate --no-verify` alone (the load, e.g. through the latency proxy).
   */
  readonly dVerify: 'default' | 'apart' | 'skip';
}

export interface ApproachOutcome {
  readonly status: 'ok' | 'failed' | 'not available';
  readonly reason?: string;
  readonly steps: readonly Measured[];
  readonly exitCode?: number | null;
  /** Rows loaded per table as the approach itself reports them (d: from --json). */
  readonly reportedRows?: Readonly<Record<string, number>>;
  /** (d): where its time went, from the `phases` of its --json report (migrate's step only). */
  readonly reportedPhases?: readonly { readonly phase: string; readonly seconds: number }[];
  readonly notes?: readonly string[];
}

/** Naive timestamps are read as UTC by every approach: the tool's --source-timezone default. */
const PG_ENV = { ...process.env, PGTZ: 'UTC' };
const PSQL = ['-X', '-q', '-v', 'ON_ERROR_STOP=1'];

const csvPath = (ctx: ApproachContext, t: BenchTable): string => join(ctx.workDir, 'csv', `${t.source}.csv`);

function outcome(steps: Measured[], notes?: string[]): ApproachOutcome {
  const failed = steps.map(failureOf).find((f) => f !== undefined);
  return {
    status: failed === undefined ? 'ok' : 'failed',
    ...(failed === undefined ? {} : { reason: failed }),
    steps,
    ...(notes ? { notes } : {}),
  };
}

/**
 * The operator's export: one `sqlite3 -csv` per table, no header. sqlite3
 * writes NULL unquoted-empty and '' as "", which PostgreSQL CSV reads back as
 * NULL and '' respectively; 0/1 are valid boolean input; both timestamp forms
 * are valid timestamptz input. REALs are printed with 15 significant digits.
 */
async function exportCsv(ctx: ApproachContext, steps: Measured[]): Promise<void> {
  mkdirSync(join(ctx.workDir, 'csv'), { recursive: true });
  const marker = join(ctx.workDir, 'csv', 'complete.json');
  writeFileSync(marker, '{}\n'); // overwritten below only when every export succeeded
  for (const t of ctx.tables) {
    const sql = `SELECT ${t.columns.join(', ')} FROM ${t.source}`;
    const m = await runMeasured(`export ${t.source}`, 'sqlite3', ['-csv', join(ctx.source.dir, t.file), sql], {
      stdoutFile: csvPath(ctx, t),
    });
    steps.push(m);
    if (failureOf(m) !== undefined) return;
  }
  writeFileSync(marker, `${JSON.stringify({ complete: true })}\n`);
}

function csvComplete(ctx: ApproachContext): boolean {
  const marker = join(ctx.workDir, 'csv', 'complete.json');
  return existsSync(marker) && (JSON.parse(readFileSync(marker, 'utf8')) as { complete?: boolean }).complete === true;
}

async function importCsv(ctx: ApproachContext, steps: Measured[]): Promise<void> {
  for (const t of ctx.tables) {
    const target = t.target;
    const copy = `\\copy ${target}(${t.columns.join(', ')}) FROM '${csvPath(ctx, t)}' WITH (FORMAT csv)`;
    const m = await runMeasured(`\\copy ${target}`, 'psql', [...PSQL, '-d', ctx.dbUrl, '-c', copy], { env: PG_ENV });
    steps.push(m);
    if (failureOf(m) !== undefined) return;
  }
}

/** Secondary indexes after the load, when --indexes asks for the tool's full table shape. */
async function buildIndexes(ctx: ApproachContext, steps: Measured[]): Promise<void> {
  if (!ctx.withIndexes || steps.some((s) => failureOf(s) !== undefined)) return;
  const sql = ctx.tables.flatMap((t) => t.indexDdl).join(';\n');
  steps.push(await runMeasured('create indexes', 'psql', [...PSQL, '-d', ctx.dbUrl, '-c', sql], { env: PG_ENV }));
}

export async function approachA(ctx: ApproachContext): Promise<ApproachOutcome> {
  const steps: Measured[] = [];
  await exportCsv(ctx, steps);
  if (steps.every((s) => failureOf(s) === undefined)) await importCsv(ctx, steps);
  await buildIndexes(ctx, steps);
  return outcome(steps);
}

export async function approachB(ctx: ApproachContext): Promise<ApproachOutcome> {
  const notes: string[] = [];
  if (!csvComplete(ctx)) {
    // Only the import is (b)'s figure; an export made here is not counted.
    const exportSteps: Measured[] = [];
    await exportCsv(ctx, exportSteps);
    const failed = exportSteps.map(failureOf).find((f) => f !== undefined);
    if (failed !== undefined) return { status: 'failed', reason: `CSV export for (b): ${failed}`, steps: [] };
    notes.push('CSV files exported first (untimed): (a) did not run in this invocation');
  }
  const steps: Measured[] = [];
  await importCsv(ctx, steps);
  await buildIndexes(ctx, steps);
  return outcome(steps, notes);
}

export function pgloaderVersion(): string | undefined {
  const r = spawnSync('pgloader', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? undefined : r.stdout.split('\n')[0]?.trim();
}

/**
 * pgloader reads one SQLite file per command, so each file gets its own load
 * file and process, run one after the other. Tuned (2 workers, 10k-row
 * batches, as bench/README.md records): with its defaults pgloader exhausts
 * its heap on this data. It loads data only, into the tables created beforehand.
 */
function loadFile(ctx: ApproachContext, t: BenchTable): string {
  const target = t.target;
  const lines = [
    'LOAD DATABASE',
    `  FROM sqlite://${join(ctx.source.dir, t.file)}`,
    `  INTO ${ctx.dbUrl}`,
    'WITH include no drop, create no tables, create no indexes, reset no sequences, no truncate, data only,',
    '     workers = 2, concurrency = 1, batch rows = 10000, prefetch rows = 10000',
    "SET work_mem to '16MB', timezone to 'UTC'",
    `INCLUDING ONLY TABLE NAMES LIKE '${t.source}'`,
  ];
  // The ELO `matches` table becomes `elo_matches`, as the mapping names it.
  if (target !== t.source) lines.push(`ALTER TABLE NAMES MATCHING '${t.source}' RENAME TO '${target}'`);
  return `${lines.join('\n')};\n`;
}

export async function approachC(ctx: ApproachContext): Promise<ApproachOutcome> {
  if (pgloaderVersion() === undefined)
    return { status: 'not available', reason: 'pgloader is not installed (apt-get install pgloader)', steps: [] };
  const dir = join(ctx.workDir, 'pgloader');
  mkdirSync(dir, { recursive: true });
  const steps: Measured[] = [];
  for (const t of ctx.tables) {
    const file = join(dir, `${t.source}.load`);
    writeFileSync(file, loadFile(ctx, t));
    const args = [
      '--root-dir',
      join(dir, 'root'),
      '--logfile',
      join(dir, `${t.source}.log`),
      '--summary',
      join(dir, `${t.source}.summary`),
      file,
    ];
    const m = await runMeasured(`pgloader ${t.source}`, 'pgloader', args, { env: PG_ENV });
    steps.push(m);
    // pgloader can exit 0 with rows rejected; run.ts compares the target counts either way.
    if (failureOf(m) !== undefined) break;
  }
  await buildIndexes(ctx, steps);
  return outcome(steps);
}

/** Per-table rows loaded from the tool's --json report, whatever its nesting: any object with rowsLoaded and a table name. */
function reportedRows(json: unknown, out: Record<string, number> = {}): Record<string, number> {
  if (Array.isArray(json)) for (const item of json) reportedRows(item, out);
  else if (json !== null && typeof json === 'object') {
    const o = json as Record<string, unknown>;
    const name = [o.target, o.table, o.targetTable, o.name].find((v): v is string => typeof v === 'string');
    if (typeof o.rowsLoaded === 'number' && name !== undefined) out[name] = (out[name] ?? 0) + o.rowsLoaded;
    for (const v of Object.values(o)) if (v !== null && typeof v === 'object') reportedRows(v, out);
  }
  return out;
}

/** The `phases` array of a `migrate --json` report (src/report/migrate-report.ts), when it has one. */
function reportedPhases(json: unknown): { phase: string; seconds: number }[] | undefined {
  const phases = (json as { phases?: unknown } | null)?.phases;
  if (!Array.isArray(phases)) return undefined;
  return phases.flatMap((p: unknown) => {
    const o = p as { phase?: unknown; seconds?: unknown } | null;
    return typeof o?.phase === 'string' && typeof o.seconds === 'number'
      ? [{ phase: o.phase, seconds: o.seconds }]
      : [];
  });
}

/** BENCH_TOOL points (d) at another build of the CLI, e.g. a branch checked out elsewhere. */
export const TOOL_MAIN = process.env.BENCH_TOOL ?? new URL('../dist/cli/main.js', import.meta.url).pathname;

export async function approachD(ctx: ApproachContext): Promise<ApproachOutcome> {
  if (!existsSync(TOOL_MAIN))
    return { status: 'not available', reason: `${TOOL_MAIN} missing (npm run build)`, steps: [] };
  const jsonFile = join(ctx.workDir, 'migrate-report.json');
  rmSync(jsonFile, { force: true }); // never read a previous run's report
  // BENCH_MIGRATE_ARGS adds flags, e.g. --no-verify to time the load alone.
  const extra = (process.env.BENCH_MIGRATE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const base = [
    'migrate',
    '--data-dir',
    ctx.source.dir,
    '--database-url',
    ctx.dbUrl,
    '--quiet',
    ...(ctx.dVerify === 'default' ? [] : ['--no-verify']),
    ...extra,
  ];
  let m = await runMeasured('aragora-migrate migrate', process.execPath, [TOOL_MAIN, ...base, '--json', jsonFile]);
  const said = `${m.stderrTail}\n${m.stdoutTail}`;
  if (/unknown command/i.test(said))
    return {
      status: 'not available',
      reason: "dist/cli/main.js has no 'migrate' command yet",
      steps: [],
      exitCode: m.code,
    };
  // dist/ is rebuilt while people work: record which build was measured.
  const notes: string[] = [`measured build: ${TOOL_MAIN} modified ${statSync(TOOL_MAIN).mtime.toISOString()}`];
  if (/unknown option '--json'/i.test(said)) {
    notes.push('--json not supported: rows loaded taken from the target only');
    m = await runMeasured('aragora-migrate migrate', process.execPath, [TOOL_MAIN, ...base]);
  }
  let rows: Record<string, number> | undefined;
  let phases: { phase: string; seconds: number }[] | undefined;
  if (existsSync(jsonFile) && m.code !== null) {
    try {
      const json: unknown = JSON.parse(readFileSync(jsonFile, 'utf8'));
      rows = reportedRows(json);
      phases = reportedPhases(json);
    } catch (err) {
      notes.push(`--json report unreadable: ${(err as Error).message}`);
    }
  }
  const steps = [m];
  if (ctx.dVerify === 'apart' && m.code === 0) {
    steps.push(
      await runMeasured('aragora-migrate verify', process.execPath, [
        TOOL_MAIN,
        'verify',
        '--data-dir',
        ctx.source.dir,
        '--database-url',
        ctx.dbUrl,
        '--quiet',
      ]),
    );
  }
  return {
    ...outcome(steps, notes),
    exitCode: steps[steps.length - 1]?.code ?? null,
    ...(rows ? { reportedRows: rows } : {}),
    ...(phases ? { reportedPhases: phases } : {}),
  };
}

export const APPROACHES: Readonly<Record<ApproachId, (ctx: ApproachContext) => Promise<ApproachOutcome>>> = {
  a: approachA,
  b: approachB,
  c: approachC,
  d: approachD,
};
