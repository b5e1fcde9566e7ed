/**
 * npm run bench -- [--rows 1.5m|0.3m|3m] [--only a,b,c,d] [--repeat N] [--keep] [--indexes]
 *                  [--verify-apart [--apart-only]] [--latency 0,1,5] [--huge [--huge-mb 50]] [--seed N]
 *
 * Generates (or reuses) an Aragora-shaped SQLite source, then loads it into a
 * fresh PostgreSQL database per approach and reports wall time, throughput,
 * peak RSS of the loading process tree, row counts, a value spot check and
 * the issue's targets. See bench/README.md.
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
import { ensureHugeSource, HUGE_VALUE_BYTES, sourceDigests } from './huge.js';
import { forkLatencyProxy, proxiedUrl, targetOf, type LatencyProxyStats } from './latency-proxy.js';
import type { Measured } from './measure.js';
import { ensureBenchSource, sizesKey } from './generate.js';
import { parseLatency, parseRows } from './options.js';
import { computeTargets, lowerMedian, targetInputs, targetsLine, type TargetResult, type Variant } from './targets.js';
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
  'usage: npm run bench -- [--rows 1.5m|0.3m|3m] [--only a,b,c,d] [--repeat N] [--keep] [--indexes] [--verify-apart [--apart-only]] [--latency 0,1,5] [--huge [--huge-mb 50]] [--seed N]';
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

interface RunSpec {
  readonly id: ApproachId;
  readonly variant: Variant;
  readonly latencyMs?: number;
  /** --huge: the size of each value, in MB (10⁶ bytes). */
  readonly hugeMB?: number;
  readonly ctx: Omit<ApproachContext, 'dbUrl'>;
  /** Source rows per target table; every one must arrive. */
  readonly expected: Readonly<Record<string, number>>;
  readonly sourceRows: number;
  readonly sourceMB: number;
}

interface ApproachResult extends ApproachOutcome {
  readonly id: ApproachId;
  readonly variant: Variant;
  readonly latencyMs?: number;
  readonly run: number;
  readonly name: string;
  readonly database: string;
  readonly wallSeconds: number;
  readonly peakRssMiB: number;
  readonly sourceRows: number;
  readonly sourceMB: number;
  readonly rowsLoaded: number;
  readonly countsOk: boolean;
  readonly target?: TargetState;
  readonly fidelity?: readonly FidelityResult[];
  /** --latency: the delays the proxy applied, as it measured them. */
  readonly proxy?: LatencyProxyStats;
  readonly problems: readonly string[];
  /** CPU cores busy in the second before the run, when nothing of ours runs: other work inflates every figure. */
  readonly busyCoresBefore: number;
}

/** Short tag of a run, as messages and the targets name it: (a), (d), (d+verify), (d@5ms), (d huge). */
function tag(r: { id: ApproachId; variant: Variant; latencyMs?: number }): string {
  switch (r.variant) {
    case 'both':
      return `(${r.id}+verify)`;
    case 'latency':
      return `(${r.id}@${r.latencyMs ?? 0}ms)`;
    case 'huge':
      return `(${r.id} huge)`;
    default:
      return `(${r.id})`;
  }
}

function runName(spec: RunSpec): string {
  switch (spec.variant) {
    case 'both':
      return `${APPROACH_NAMES[spec.id]} with its verify`;
    case 'latency':
      return `${APPROACH_NAMES[spec.id]} --no-verify via proxy +${spec.latencyMs ?? 0} ms`;
    case 'huge':
      return `${APPROACH_NAMES[spec.id]}, ${spec.hugeMB ?? HUGE_VALUE_BYTES / 1e6} MB values`;
    default:
      return spec.id === 'd' && spec.ctx.dVerify === 'apart'
        ? `${APPROACH_NAMES.d} --no-verify, then verify`
        : APPROACH_NAMES[spec.id];
  }
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

/**
 * The huge values checked whole, by md5 on both sides: the 500-row spot check
 * would pull 200 MB through the runner for two rows.
 */
async function checkHugeDigests(sourceDir: string, dbUrl: string, problems: string[]): Promise<void> {
  const want = sourceDigests(sourceDir);
  const got = await withClient(dbUrl, (c) =>
    c.query<{ id: string; content: string | null; centroid: string | null }>(
      'SELECT id, md5(content) AS content, md5(semantic_centroid) AS centroid FROM public.continuum_memory',
    ),
  );
  const byId = new Map(got.rows.map((r) => [r.id, r]));
  for (const [id, w] of want) {
    const g = byId.get(id);
    if (!g) problems.push(`continuum_memory: ${id} missing`);
    else {
      if (g.content !== w.content) problems.push(`continuum_memory.content of ${id} differs (md5)`);
      if (g.centroid !== w.centroid) problems.push(`continuum_memory.semantic_centroid of ${id} differs (md5)`);
    }
  }
}

async function runOne(spec: RunSpec, run: number, adminUrl: string, keep: boolean): Promise<ApproachResult> {
  const { id, ctx: ctxBase, expected } = spec;
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
    const name = runName(spec);
    process.stderr.write(`${tag(spec)} ${name} → ${database}\n`);
    let out: ApproachOutcome;
    let proxy: LatencyProxyStats | undefined;
    try {
      // --latency: the tool connects through the delay line; everything else here talks to the server directly.
      const line = spec.latencyMs === undefined ? undefined : await forkLatencyProxy(targetOf(dbUrl), spec.latencyMs);
      try {
        out = await APPROACHES[id]({ ...ctxBase, dbUrl: line ? proxiedUrl(dbUrl, line) : dbUrl });
      } finally {
        proxy = await line?.stop();
      }
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
      if (spec.variant === 'huge') {
        if (target.counts.continuum_memory != null) await checkHugeDigests(ctxBase.source.dir, dbUrl, problems);
      } else {
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
      variant: spec.variant,
      ...(spec.latencyMs === undefined ? {} : { latencyMs: spec.latencyMs }),
      run,
      name,
      database,
      busyCoresBefore,
      wallSeconds,
      peakRssMiB,
      sourceRows: spec.sourceRows,
      sourceMB: spec.sourceMB,
      rowsLoaded,
      countsOk,
      problems,
      ...(target ? { target } : {}),
      ...(fidelity ? { fidelity } : {}),
      ...(proxy ? { proxy } : {}),
    };
  } finally {
    if (!keep) await dropDatabase(adminUrl, database);
  }
}

/** Complete runs only: status ok and every row counted. */
const complete = (r: ApproachResult): boolean => r.status === 'ok' && r.countsOk;

function printReport(results: readonly ApproachResult[]): void {
  const head = ['approach', 'status', 'wall s', 'rows/s', 'MB/s', 'peak RSS MiB', 'rows loaded', 'counts'];
  const repeated = results.some((r) => r.run > 1);
  const rows = results.map((r) => {
    const ran = r.status !== 'not available' && r.wallSeconds > 0;
    return [
      `${tag(r)} ${r.name}${repeated ? ` #${r.run}` : ''}`,
      r.status,
      ran ? fmt(r.wallSeconds, 2) : '-',
      // Two rows say nothing per second: the huge-value run is MB/s and memory.
      ran && r.variant !== 'huge' ? fmt(r.sourceRows / r.wallSeconds, 0) : '-',
      ran ? fmt(r.sourceMB / r.wallSeconds, 1) : '-',
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
    void messages.set(`${tag(r)} ${text}`, [...(messages.get(`${tag(r)} ${text}`) ?? []), r.run]);
  for (const r of results) {
    if (r.reason) say(r, `${r.status}: ${r.reason}`);
    for (const p of r.problems) say(r, p);
    for (const n of r.notes ?? []) say(r, `note: ${n}`);
    if (r.exitCode !== undefined) say(r, `exit code ${r.exitCode}`);
  }
  for (const [text, runs] of messages) process.stdout.write(`${text}${repeated ? ` [run ${runs.join(', ')}]` : ''}\n`);
  // Loading into bare tables and loading into fully indexed ones are different jobs: say when they differ.
  const shapes = new Map<string, string>();
  for (const r of results)
    if (r.target && (r.variant === 'main' || r.variant === 'both') && !shapes.has(r.id))
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
  process.stdout.write('\n');
  // --verify-apart: verify's time against the load's, per run.
  for (const r of results.filter((x) => x.id === 'd' && x.variant === 'main' && x.status === 'ok')) {
    if (r.steps.length !== 2) continue;
    const [load, check] = r.steps as [Measured, Measured];
    process.stdout.write(
      `(d) #${r.run}: load ${fmt(load.wallMs / 1000, 2)} s (peak RSS ${fmt(load.peakRssKb / 1024, 0)} MiB), verify ${fmt(check.wallMs / 1000, 2)} s (peak RSS ${fmt(check.peakRssKb / 1024, 0)} MiB): verify/load ${fmt(check.wallMs / load.wallMs, 2)}\n`,
    );
  }
  // migrate with its own verify: the verify phase's share, from its --json report.
  for (const r of results.filter((x) => x.id === 'd' && x.status === 'ok' && x.steps.length === 1)) {
    const verify = r.reportedPhases?.find((p) => p.phase === 'verify');
    if (verify === undefined || r.variant === 'latency') continue;
    process.stdout.write(
      `${tag(r)} #${r.run}: ${fmt(r.wallSeconds, 2)} s, of which its verify phase ${fmt(verify.seconds, 2)} s (from its --json phases)\n`,
    );
  }
  // --latency: the load's rows/s at each delay, median over --repeat, and its ratio to 0 ms.
  const latencies = [...new Set(results.filter((r) => r.variant === 'latency').map((r) => r.latencyMs ?? 0))];
  if (latencies.length > 0) {
    const medianOf = (ms: number): { wall?: number; rows: number; delay?: number } => {
      const rs = results.filter((r) => r.variant === 'latency' && r.latencyMs === ms && complete(r));
      const wall = lowerMedian(rs.map((r) => r.wallSeconds));
      const delays = rs.flatMap((r) => (r.proxy ? [r.proxy.meanDelayMs] : []));
      return {
        ...(wall === undefined ? {} : { wall }),
        rows: rs[0]?.sourceRows ?? 0,
        ...(delays.length > 0 ? { delay: Math.max(...delays) } : {}),
      };
    };
    const base = medianOf(0);
    const baseRate = base.wall ? base.rows / base.wall : undefined;
    process.stdout.write(
      `load through the latency proxy${repeated ? ' (median of the runs)' : ''}: one-way delay, wall, rows/s, ratio to 0 ms (mean delay the proxy applied)\n`,
    );
    for (const ms of latencies) {
      const m = medianOf(ms);
      const rate = m.wall ? m.rows / m.wall : undefined;
      process.stdout.write(
        `  +${ms} ms: ${m.wall === undefined ? 'no complete run' : `${fmt(m.wall, 2)} s, ${fmt(rate, 0)} rows/s, ${fmt(rate !== undefined && baseRate ? rate / baseRate : undefined, 2)}`}${m.delay === undefined ? '' : ` (${fmt(m.delay, 2)} ms)`}\n`,
      );
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
      indexes: { type: 'boolean', default: false },
      'verify-apart': { type: 'boolean', default: false },
      'apart-only': { type: 'boolean', default: false },
      latency: { type: 'string' },
      huge: { type: 'boolean', default: false },
      'huge-mb': { type: 'string' },
      repeat: { type: 'string', default: '1' },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const seed = Number(values.seed);
  // --huge alone measures the huge-value source only; with --rows, both sources.
  const rowsRun = !values.huge || values.rows !== undefined;
  if (!rowsRun) {
    const needRows = (
      [
        ['--only', values.only !== undefined],
        ['--indexes', values.indexes],
        ['--verify-apart', values['verify-apart']],
        ['--latency', values.latency !== undefined],
      ] as const
    ).filter(([, given]) => given);
    if (needRows.length > 0)
      throw new Error(
        `${needRows.map(([f]) => f).join(', ')} ${needRows.length === 1 ? 'needs' : 'need'} the row-count source: add --rows to run it next to --huge\n${USAGE}`,
      );
  }
  if (values['huge-mb'] !== undefined && !values.huge) throw new Error(`--huge-mb goes with --huge\n${USAGE}`);
  const hugeBytes = values['huge-mb'] === undefined ? HUGE_VALUE_BYTES : Number(values['huge-mb']) * 1e6;
  if (!(Number.isFinite(hugeBytes) && hugeBytes >= 1 && Number.isInteger(hugeBytes)))
    throw new Error(`bad --huge-mb ${values['huge-mb']}`);
  if (values['apart-only'] && !values['verify-apart'])
    throw new Error(`--apart-only goes with --verify-apart\n${USAGE}`);
  const sizes = parseRows(values.rows ?? '1.5m', seed);
  const only = (values.only ?? 'a,b,c,d').split(',').map((s) => s.trim());
  const bad = only.filter((s) => !(s in APPROACHES));
  if (bad.length > 0) throw new Error(`unknown approach ${bad.join(', ')} (expected a, b, c, d)\n${USAGE}`);
  const ids = (['a', 'b', 'c', 'd'] as const).filter((id) => only.includes(id));
  const latencies = values.latency === undefined ? [] : parseLatency(values.latency);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`bad --repeat ${values.repeat}`);
  const adminUrl = withUser(process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL);
  const server = await serverVersion(adminUrl).catch((err: Error) => {
    throw new Error(`cannot reach PostgreSQL at ${adminUrl} (${err.message}); set BENCH_DATABASE_URL`);
  });

  const dataRoot = join(BENCH_DIR, '.data');
  mkdirSync(dataRoot, { recursive: true });
  const tables = benchTables();
  const specs: RunSpec[] = [];
  const sources: Record<string, unknown> = {};
  const total = sizes.continuumRows + sizes.matchesRows;
  if (rowsRun) {
    // Rough worst case per row: ~0.85 KB source, ~0.75 KB CSV, ~1.1 KB PostgreSQL heap + WAL.
    const fs = statfsSync(dataRoot);
    const freeGB = (fs.bavail * fs.bsize) / 1e9;
    if (freeGB < (total * 3000) / 1e9)
      throw new Error(`only ${fmt(freeGB)} GB free under ${dataRoot}; ${fmt((total * 3000) / 1e9)} GB needed`);
    const source = ensureBenchSource(dataRoot, sizes);
    const sourceMB = source.totalBytes / 1e6;
    sources.rows = { dir: source.dir, files: source.files, totalMB: sourceMB, rows: total };
    process.stderr.write(
      `source: ${source.dir} (${fmt(sourceMB)} MB: ${Object.entries(source.files)
        .map(([f, b]) => `${f} ${fmt(b / 1e6)} MB`)
        .join(', ')})\n`,
    );
    const expected = { [tables[0]!.target]: sizes.continuumRows, [tables[1]!.target]: sizes.matchesRows };
    const ctx = {
      source,
      tables,
      workDir: join(dataRoot, sizesKey(sizes), 'work'),
      withIndexes: values.indexes,
      dVerify: values['verify-apart'] ? ('apart' as const) : ('default' as const),
    };
    mkdirSync(ctx.workDir, { recursive: true });
    const common = { expected, sourceRows: total, sourceMB };
    for (const id of ids) specs.push({ id, variant: 'main', ctx, ...common });
    // --verify-apart splits (d) in two commands; the "migrate with its verify" target is measured on the one command.
    if (ids.includes('d') && values['verify-apart'] && !values['apart-only'])
      specs.push({ id: 'd', variant: 'both', ctx: { ...ctx, dVerify: 'default' }, ...common });
    for (const ms of latencies)
      specs.push({ id: 'd', variant: 'latency', latencyMs: ms, ctx: { ...ctx, dVerify: 'skip' }, ...common });
  }
  if (values.huge) {
    const source = ensureHugeSource(dataRoot, seed, hugeBytes);
    const sourceMB = source.totalBytes / 1e6;
    sources.huge = { dir: source.dir, files: source.files, totalMB: sourceMB, valueBytes: hugeBytes };
    process.stderr.write(`huge-value source: ${source.dir} (${fmt(sourceMB)} MB)\n`);
    const ctx = {
      source,
      tables: [tables[0]!],
      workDir: join(source.dir, '..', 'work'),
      withIndexes: false,
      dVerify: 'default' as const,
    };
    mkdirSync(ctx.workDir, { recursive: true });
    specs.push({
      id: 'd',
      variant: 'huge',
      hugeMB: hugeBytes / 1e6,
      ctx,
      expected: { [tables[0]!.target]: source.sizes.continuumRows },
      sourceRows: source.sizes.continuumRows,
      sourceMB,
    });
  }

  const results: ApproachResult[] = [];
  // Runs interleave (a b c d … a b c d …) so slow drift on the machine spreads over all of them.
  for (let run = 1; run <= repeat; run++) {
    for (const spec of specs) {
      results.push(await runOne(spec, run, adminUrl, values.keep));
      if (interrupted) return void (process.exitCode = 130);
    }
  }
  printReport(results);
  const inputs = targetInputs(results, {
    estimateBoth: values['apart-only'],
    // BENCH_MIGRATE_ARGS=--no-verify makes the plain (d) run a load: it is then no "migrate with its verify".
    mainVerifies: !values['verify-apart'] && !/--no-verify/.test(process.env.BENCH_MIGRATE_ARGS ?? ''),
  });
  const targets: TargetResult[] = computeTargets(inputs, {
    rows: rowsRun,
    huge: values.huge,
    latency: latencies.length > 0,
  });

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
    ...(rowsRun ? { sizes } : {}),
    ...(rowsRun && 'rows' in sources ? { source: sources.rows } : {}),
    ...(values.huge ? { hugeSource: sources.huge } : {}),
    options: {
      only: rowsRun ? ids : [],
      indexes: values.indexes,
      repeat,
      verifyApart: values['verify-apart'],
      apartOnly: values['apart-only'],
      latencyMs: latencies,
      huge: values.huge,
    },
    environment,
    targetInputs: inputs,
    targets,
    results,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const what = [
    ...(rowsRun ? [`${total.toLocaleString('en-US')} rows`] : []),
    ...(values.huge ? ['huge values'] : []),
  ].join(' + ');
  process.stdout.write(`\nsource ${what}; results written to ${file}\n`);
  if (results.some((r) => r.run > 1))
    process.stdout.write("targets use each figure's median over the runs (lower middle) and the highest peak RSS\n");
  // The last line: the issue's targets, PASS / FAIL / n/a each.
  process.stdout.write(`${targetsLine(targets)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
