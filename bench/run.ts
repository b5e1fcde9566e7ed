/**
 * npm run bench -- [--rows 1.5m|0.3m|3m] [--only a,b,c,d] [--repeat N] [--keep] [--indexes] [--verify-apart] [--seed N]
 *
 * Generates (or reuses) an Aragora-shaped SQLite source, then loads it into a
 * fresh PostgreSQL database per approach and reports wall time, throughput,
 * peak RSS of the loading process tree, row counts and a value spot check.
 * See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  APPROACH_NAMES,
  APPROACHES,
  pgloaderVersion,
  TOOL_MAIN,
  type ApproachContext,
  type ApproachId,
  type ApproachOutcome,
} from './approaches.js';
import { checkFidelity, type FidelityResult } from './fidelity.js';
import type { Measured } from './measure.js';
import { ensureBenchSource, sizesKey, type BenchSizes } from './generate.js';
import {
  benchTables,
  createDatabase,
  createTargetTables,
  DEFAULT_DATABASE_URL,
  dropDatabase,
  inspectTarget,
  serverVersion,
  withClient,
  withUser,
  type TargetState,
} from './target.js';

const USAGE =
  'usage: npm run bench -- [--rows 1.5m|0.3m|3m] [--only a,b,c,d] [--repeat N] [--keep] [--indexes] [--verify-apart] [--seed N]';
const BENCH_DIR = new URL('.', import.meta.url).pathname;
const BUSY_CORES = 0.3;

/** Cores in use over `ms`, from /proc/stat (all CPUs: busy = total - idle - iowait). */
async function busyCores(ms: number): Promise<number> {
  const read = (): [number, number] => {
    const f = (readFileSync('/proc/stat', 'latin1').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return [total, (f[3] ?? 0) + (f[4] ?? 0)];
  };
  const [t0, i0] = read();
  await new Promise((r) => setTimeout(r, ms));
  const [t1, i1] = read();
  return t1 > t0 ? (1 - (i1 - i0) / (t1 - t0)) * cpus().length : 0;
}

interface ApproachResult extends ApproachOutcome {
  readonly id: ApproachId;
  readonly run: number;
  readonly name: string;
  readonly database: string;
  readonly wallSeconds: number;
  readonly peakRssMiB: number;
  readonly rowsLoaded: number;
  readonly countsOk: boolean;
  readonly target?: TargetState;
  readonly fidelity?: readonly FidelityResult[];
  readonly problems: readonly string[];
  /** CPU cores busy in the second before the run, when nothing of ours runs: other work inflates every figure. */
  readonly busyCoresBefore: number;
}

/** "1.5m", "300k", "1500000": total rows, split 2:1 between continuum_memory and matches. */
export function parseRows(text: string, seed: number): BenchSizes {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!m) throw new Error(`bad --rows ${text}`);
  const total = Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 'm' ? 1e6 : m[2]?.toLowerCase() === 'k' ? 1e3 : 1));
  if (total < 3) throw new Error(`--rows ${text} is too small`);
  const continuumRows = Math.round((total * 2) / 3);
  return { continuumRows, matchesRows: total - continuumRows, seed };
}

/**
 * Ctrl-C reaches the loaders too (same process group), so the running approach
 * ends on its own; runOne then drops its database as usual, and main stops
 * before the next run without writing a results file.
 */
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  process.stderr.write('\ninterrupted: cleaning up\n');
});

function toolVersion(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.error ? 'not installed' : ((r.stdout || r.stderr).split('\n')[0]?.trim() ?? '');
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n)
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function runOne(
  id: ApproachId,
  run: number,
  adminUrl: string,
  ctxBase: Omit<ApproachContext, 'dbUrl'>,
  expected: Record<string, number>,
  keep: boolean,
): Promise<ApproachResult> {
  const database = `am_bench_${id}_${randomBytes(3).toString('hex')}`;
  const problems: string[] = [];
  const dbUrl = await createDatabase(adminUrl, database);
  try {
    // (d) creates its own tables; the baselines get the mapping's typed DDL first, untimed.
    if (id !== 'd') await createTargetTables(dbUrl, ctxBase.tables);
    // Flush what earlier work left dirty (generated files, CSVs, the previous approach's pages and
    // checkpoint), so its writeback does not land in this approach's time.
    spawnSync('sync');
    await withClient(adminUrl, (c) => c.query('CHECKPOINT')).catch(() => undefined);
    const busyCoresBefore = await busyCores(1000);
    process.stderr.write(`(${id}) ${APPROACH_NAMES[id]} → ${database}\n`);
    let out: ApproachOutcome;
    try {
      out = await APPROACHES[id]({ ...ctxBase, dbUrl });
    } catch (err) {
      out = { status: 'failed', reason: `bench error: ${(err as Error).message}`, steps: [] };
    }
    const wallSeconds = out.steps.reduce((s, m) => s + m.wallMs, 0) / 1000;
    const peakRssMiB = Math.max(0, ...out.steps.map((m) => m.peakRssKb)) / 1024;
    let target: TargetState | undefined;
    let fidelity: FidelityResult[] | undefined;
    if (out.status !== 'not available') {
      target = await inspectTarget(dbUrl, Object.keys(expected));
      for (const [table, want] of Object.entries(expected)) {
        const got = target.counts[table];
        if (got !== want)
          problems.push(`${table}: ${got === null ? 'table missing' : `${got} rows`}, source has ${want}`);
        // The tool may name tables schema-qualified (public.elo_matches).
        const reported = out.reportedRows?.[table] ?? out.reportedRows?.[`public.${table}`];
        if (reported !== undefined && reported !== want)
          problems.push(`${table}: report says ${reported} rows loaded, source has ${want}`);
      }
      fidelity = [];
      for (const t of ctxBase.tables) {
        if (target.counts[t.target] == null) continue;
        const f = await checkFidelity(ctxBase.source.dir, dbUrl, t, t.target);
        fidelity.push(f);
        if (f.missing > 0) problems.push(`${t.target}: ${f.missing} of ${f.sampled} sampled keys missing`);
        for (const [col, mm] of Object.entries(f.mismatches)) {
          problems.push(
            `${t.target}.${col}: ${mm.count}/${f.sampled} sampled values differ, e.g. ${JSON.stringify(mm.example.source)} → ${JSON.stringify(mm.example.target)}`,
          );
        }
      }
    }
    const rowsLoaded = Object.keys(expected).reduce((s, t) => s + (target?.counts[t] ?? 0), 0);
    const countsOk = target !== undefined && Object.entries(expected).every(([t, n]) => target.counts[t] === n);
    if (busyCoresBefore > BUSY_CORES)
      problems.push(
        `machine busy before the run (${busyCoresBefore.toFixed(1)} cores in use by other work): figures may be inflated`,
      );
    return {
      ...out,
      id,
      run,
      name: APPROACH_NAMES[id],
      database,
      busyCoresBefore,
      wallSeconds,
      peakRssMiB,
      rowsLoaded,
      countsOk,
      problems,
      ...(target ? { target } : {}),
      ...(fidelity ? { fidelity } : {}),
    };
  } finally {
    if (!keep) await dropDatabase(adminUrl, database);
  }
}

function printReport(results: readonly ApproachResult[], totalRows: number, sourceMB: number): void {
  const head = ['approach', 'status', 'wall s', 'rows/s', 'MB/s', 'peak RSS MiB', 'rows loaded', 'counts'];
  const rows = results.map((r) => {
    const ran = r.status !== 'not available' && r.wallSeconds > 0;
    return [
      `(${r.id}) ${r.name}${r.run > 1 || results.some((o) => o.id === r.id && o.run > 1) ? ` #${r.run}` : ''}`,
      r.status,
      ran ? fmt(r.wallSeconds, 2) : '-',
      ran ? fmt(totalRows / r.wallSeconds, 0) : '-',
      ran ? fmt(sourceMB / r.wallSeconds, 1) : '-',
      ran ? fmt(r.peakRssMiB, 0) : '-',
      r.target ? r.rowsLoaded.toLocaleString('en-US') : '-',
      r.target ? (r.countsOk ? 'ok' : 'MISMATCH') : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  process.stdout.write(
    `\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`,
  );
  // The same message from several runs is printed once, with the runs it came from.
  const messages = new Map<string, number[]>();
  const say = (r: ApproachResult, text: string): void =>
    void messages.set(`(${r.id}) ${text}`, [...(messages.get(`(${r.id}) ${text}`) ?? []), r.run]);
  for (const r of results) {
    if (r.reason) say(r, `${r.status}: ${r.reason}`);
    for (const p of r.problems) say(r, p);
    for (const n of r.notes ?? []) say(r, `note: ${n}`);
    if (r.exitCode !== undefined) say(r, `exit code ${r.exitCode}`);
  }
  const repeated = results.some((r) => r.run > 1);
  for (const [text, runs] of messages) process.stdout.write(`${text}${repeated ? ` [run ${runs.join(', ')}]` : ''}\n`);
  // Loading into bare tables and loading into fully indexed ones are different jobs: say when they differ.
  const shapes = new Map<string, string>();
  for (const r of results)
    if (r.target && !shapes.has(r.id))
      shapes.set(
        r.id,
        Object.entries(r.target.indexes)
          .map(([t, n]) => `${t} ${n ?? '-'}`)
          .join(', '),
      );
  if (new Set(shapes.values()).size > 1) {
    process.stdout.write(
      `indexes on the targets differ (${[...shapes].map(([id, s]) => `(${id}) ${s}`).join('; ')}); --indexes makes (a)–(c) build the mapping's secondary indexes too\n`,
    );
  }
  // Only complete loads count. With --repeat, each approach is represented by its median run
  // (by wall time) and its worst peak RSS.
  const by = (id: ApproachId): { wallSeconds: number; peakRssMiB: number } | undefined => {
    const ok = results
      .filter((r) => r.id === id && r.status === 'ok' && r.countsOk)
      .sort((x, y) => x.wallSeconds - y.wallSeconds);
    const mid = ok[Math.floor((ok.length - 1) / 2)];
    return mid && { wallSeconds: mid.wallSeconds, peakRssMiB: Math.max(...ok.map((r) => r.peakRssMiB)) };
  };
  const d = by('d');
  process.stdout.write('\n');
  if (results.some((r) => r.run > 1))
    process.stdout.write("ratios and targets use each approach's median wall time and highest peak RSS\n");
  for (const other of ['a', 'b', 'c'] as const) {
    const o = by(other);
    if (d && o) process.stdout.write(`d/${other} wall ratio: ${fmt(d.wallSeconds / o.wallSeconds, 2)}\n`);
  }
  // --verify-apart: verify's time against the load's, per run and for the median run.
  const apart = results.filter((r) => r.id === 'd' && r.status === 'ok' && r.steps.length === 2);
  for (const r of apart) {
    const [load, check] = r.steps as [Measured, Measured];
    process.stdout.write(
      `(d) #${r.run}: load ${fmt(load.wallMs / 1000, 2)} s, verify ${fmt(check.wallMs / 1000, 2)} s (peak RSS ${fmt(check.peakRssKb / 1024, 0)} MiB): verify/load ${fmt(check.wallMs / load.wallMs, 2)}\n`,
    );
  }
  const a = by('a');
  const b = by('b');
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'FAIL');
  process.stdout.write(
    `targets: (d) no slower than (a): ${verdict(d && a ? d.wallSeconds <= a.wallSeconds : undefined)}; `
      + `within 1.5x of (b): ${verdict(d && b ? d.wallSeconds <= 1.5 * b.wallSeconds : undefined)}; `
      + `peak RSS < 256 MiB: ${verdict(d ? d.peakRssMiB < 256 : undefined)}\n`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1.5m' },
      only: { type: 'string', default: 'a,b,c,d' },
      keep: { type: 'boolean', default: false },
      indexes: { type: 'boolean', default: false },
      'verify-apart': { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const sizes = parseRows(values.rows, Number(values.seed));
  const only = values.only.split(',').map((s) => s.trim());
  const bad = only.filter((s) => !(s in APPROACHES));
  if (bad.length > 0) throw new Error(`unknown approach ${bad.join(', ')} (expected a, b, c, d)\n${USAGE}`);
  const ids = (['a', 'b', 'c', 'd'] as const).filter((id) => only.includes(id));
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`bad --repeat ${values.repeat}`);
  const adminUrl = withUser(process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL);
  const server = await serverVersion(adminUrl).catch((err: Error) => {
    throw new Error(`cannot reach PostgreSQL at ${adminUrl} (${err.message}); set BENCH_DATABASE_URL`);
  });

  const dataRoot = join(BENCH_DIR, '.data');
  mkdirSync(dataRoot, { recursive: true });
  // Rough worst case per row: ~0.85 KB source, ~0.75 KB CSV, ~1.1 KB PostgreSQL heap + WAL.
  const total = sizes.continuumRows + sizes.matchesRows;
  const fs = statfsSync(dataRoot);
  const freeGB = (fs.bavail * fs.bsize) / 1e9;
  if (freeGB < (total * 3000) / 1e9)
    throw new Error(`only ${fmt(freeGB)} GB free under ${dataRoot}; ${fmt((total * 3000) / 1e9)} GB needed`);

  const source = ensureBenchSource(dataRoot, sizes);
  const sourceMB = source.totalBytes / 1e6;
  process.stderr.write(
    `source: ${source.dir} (${fmt(sourceMB)} MB: ${Object.entries(source.files)
      .map(([f, b]) => `${f} ${fmt(b / 1e6)} MB`)
      .join(', ')})\n`,
  );
  const tables = benchTables();
  const expected = { [tables[0]!.target]: sizes.continuumRows, [tables[1]!.target]: sizes.matchesRows };
  const ctxBase = {
    source,
    tables,
    workDir: join(dataRoot, sizesKey(sizes), 'work'),
    withIndexes: values.indexes,
    verifyApart: values['verify-apart'],
  };
  mkdirSync(ctxBase.workDir, { recursive: true });

  const results: ApproachResult[] = [];
  // Runs interleave (a b c d a b c d …) so slow drift on the machine spreads over all approaches.
  for (let run = 1; run <= repeat; run++) {
    for (const id of ids) {
      results.push(await runOne(id, run, adminUrl, ctxBase, expected, values.keep));
      if (interrupted) return void (process.exitCode = 130);
    }
  }
  printReport(results, total, sourceMB);

  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const environment = {
    node: process.version,
    postgresServer: server,
    psql: toolVersion('psql', ['--version']),
    sqlite3: toolVersion('sqlite3', ['--version']),
    pgloader: pgloaderVersion() ?? 'not installed',
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 1e9),
    rssMethod: 'sum of VmRSS over the process tree, /proc polled every 50 ms',
    tool: TOOL_MAIN,
  };
  const report = {
    at: new Date().toISOString(),
    sizes,
    source: { dir: source.dir, files: source.files, totalMB: sourceMB },
    options: { only: ids, indexes: values.indexes, repeat },
    environment,
    results,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `\nsource ${fmt(sourceMB)} MB, ${total.toLocaleString('en-US')} rows; results written to ${file}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
