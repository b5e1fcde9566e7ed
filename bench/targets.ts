/**
 * The targets, judged on one run's figures (pure: bench/run.ts
 * gathers the inputs, this decides PASS or FAIL, test/unit/bench tests it).
 *
 * Every wall time here is already a median over --repeat (lower middle for an
 * even count) and every memory figure the highest peak, as bench/README.md
 * says. A target whose inputs were not measured in this run is `n/a`, with
 * the reason, never a guess.
 */

export type Verdict = 'PASS' | 'FAIL' | 'n/a';

/**
 * What one run measures. `main` is the approach as --only names it; the
 * others are (d) runs the targets need: `both` is `migrate` with its own
 * verify when --verify-apart splits the main (d) run in two commands,
 * `latency` the load through the delay proxy, `huge` migrate on the
 * huge-value source.
 */
export type Variant = 'main' | 'both' | 'latency' | 'huge';

/** The figures of one run that the targets read (bench/run.ts's results carry more). */
export interface RunFigures {
  readonly id: 'a' | 'b' | 'c' | 'd';
  readonly variant: Variant;
  readonly latencyMs?: number;
  readonly status: 'ok' | 'failed' | 'not available';
  readonly countsOk: boolean;
  readonly wallSeconds: number;
  readonly peakRssMiB: number;
  readonly sourceRows: number;
  /** Each command's wall time; a (d) run with --verify-apart has two: the load, then verify. */
  readonly steps: readonly { readonly wallMs: number }[];
}

export interface TargetResult {
  readonly id: string;
  /** What the target says, e.g. "migrate with verify ≤ 1.0× (a)". */
  readonly target: string;
  /** The measured ratio or MiB; undefined when n/a. */
  readonly value?: number;
  readonly limit: number;
  readonly verdict: Verdict;
  /** How the value was obtained, or why it is n/a. */
  readonly note?: string;
}

export interface TargetInputs {
  /** Median wall seconds of (a), (b), (c). */
  readonly a?: number;
  readonly b?: number;
  readonly c?: number;
  /** Median wall seconds of `migrate` with its default verify. */
  readonly migrateWithVerify?: number;
  /** True when migrateWithVerify is load + verify run apart rather than measured as one command. */
  readonly migrateWithVerifyEstimated?: boolean;
  /** Median wall seconds of `migrate --no-verify` and of `verify` (--verify-apart). */
  readonly load?: number;
  readonly verify?: number;
  /** Highest peak RSS (MiB) over every (d) command on the row-count source. */
  readonly peakRssMiB?: number;
  /** Highest peak RSS (MiB) of (d) on the huge-value source (--huge). */
  readonly hugePeakRssMiB?: number;
  /** Median load rows/s through the latency proxy, by one-way delay in ms (--latency). */
  readonly latencyRowsPerSecond?: Readonly<Record<number, number>>;
}

export const RSS_LIMIT_MIB = 256;

/** The lower middle of the sorted values (the median for an odd count); undefined when empty. */
export function lowerMedian(values: readonly number[]): number | undefined {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Only complete runs count: status ok and every row arrived. */
const complete = (r: RunFigures): boolean => r.status === 'ok' && r.countsOk;

/**
 * The targets' inputs from a run's results: each time the median (lower
 * middle) over --repeat of the complete runs, each memory figure the highest.
 * `estimateBoth` (--apart-only): "migrate with its verify" is taken as load +
 * verify of the split runs. `mainVerifies`: the plain (d) run is migrate with
 * its default verify (no --verify-apart, no --no-verify in BENCH_MIGRATE_ARGS).
 */
export function targetInputs(
  results: readonly RunFigures[],
  opts: { readonly estimateBoth: boolean; readonly mainVerifies: boolean },
): TargetInputs {
  const done = results.filter(complete);
  const main =
    (id: RunFigures['id']) =>
    (r: RunFigures): boolean =>
      r.id === id && r.variant === 'main';
  const apart = (r: RunFigures): boolean => main('d')(r) && r.steps.length === 2;
  const median = (pick: (r: RunFigures) => boolean, wall: (r: RunFigures) => number = (r) => r.wallSeconds) =>
    lowerMedian(done.filter(pick).map(wall));
  const peak = (pick: (r: RunFigures) => boolean): number | undefined => {
    const list = done.filter(pick).map((r) => r.peakRssMiB);
    return list.length === 0 ? undefined : Math.max(...list);
  };
  const both = opts.estimateBoth
    ? median(apart)
    : (median((r) => r.id === 'd' && r.variant === 'both') ?? (opts.mainVerifies ? median(main('d')) : undefined));
  const latencies = [...new Set(results.filter((r) => r.variant === 'latency').map((r) => r.latencyMs ?? 0))];
  const latencyRowsPerSecond: Record<number, number> = {};
  for (const ms of latencies) {
    const runs = done.filter((r) => r.variant === 'latency' && r.latencyMs === ms);
    const wall = lowerMedian(runs.map((r) => r.wallSeconds));
    if (wall !== undefined && wall > 0 && runs[0]) latencyRowsPerSecond[ms] = runs[0].sourceRows / wall;
  }
  const fields: Record<string, number | undefined> = {
    a: median(main('a')),
    b: median(main('b')),
    c: median(main('c')),
    migrateWithVerify: both,
    load: median(apart, (r) => (r.steps[0]?.wallMs ?? 0) / 1000),
    verify: median(apart, (r) => (r.steps[1]?.wallMs ?? 0) / 1000),
    // Every (d) command on the row-count source: load, verify, migrate with its verify, the latency loads.
    peakRssMiB: peak((r) => r.id === 'd' && r.variant !== 'huge'),
    hugePeakRssMiB: peak((r) => r.variant === 'huge'),
  };
  return {
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    ...(opts.estimateBoth && both !== undefined ? { migrateWithVerifyEstimated: true } : {}),
    ...(latencies.length > 0 ? { latencyRowsPerSecond } : {}),
  };
}

function ratio(
  id: string,
  target: string,
  limit: number,
  num: number | undefined,
  den: number | undefined,
  missing: string,
  note?: string,
): TargetResult {
  if (num === undefined || den === undefined || !(den > 0)) return { id, target, limit, verdict: 'n/a', note: missing };
  const value = num / den;
  return { id, target, limit, value, verdict: value <= limit ? 'PASS' : 'FAIL', ...(note ? { note } : {}) };
}

function rss(id: string, target: string, value: number | undefined, missing: string): TargetResult {
  if (value === undefined) return { id, target, limit: RSS_LIMIT_MIB, verdict: 'n/a', note: missing };
  return { id, target, limit: RSS_LIMIT_MIB, value, verdict: value <= RSS_LIMIT_MIB ? 'PASS' : 'FAIL' };
}

/**
 * Which targets apply: the row-count ones when the row-count source ran, the
 * huge-value one with --huge, the latency one with --latency. (c)'s target
 * only when pgloader ran.
 */
export function computeTargets(
  i: TargetInputs,
  ran: { readonly rows: boolean; readonly huge: boolean; readonly latency: boolean },
): TargetResult[] {
  const out: TargetResult[] = [];
  if (ran.rows) {
    out.push(
      ratio(
        'migrate-vs-a',
        'migrate with verify ≤ 1.0× (a)',
        1.0,
        i.migrateWithVerify,
        i.a,
        i.a === undefined ? '(a) did not run or failed' : '(d) with its verify did not run or failed',
        i.migrateWithVerifyEstimated ? 'load + verify run apart (--apart-only), an upper bound' : undefined,
      ),
      ratio(
        'load-vs-b',
        'load ≤ 1.0× (b)',
        1.0,
        i.load,
        i.b,
        i.b === undefined ? '(b) did not run or failed' : 'the load alone needs --verify-apart',
      ),
    );
    if (i.c !== undefined)
      out.push(ratio('load-vs-c', 'load ≤ 0.7× (c)', 0.7, i.load, i.c, 'the load alone needs --verify-apart'));
    out.push(
      ratio('verify-vs-load', 'verify ≤ 0.4× load', 0.4, i.verify, i.load, 'needs --verify-apart'),
      rss('rss', `peak RSS ≤ ${RSS_LIMIT_MIB} MiB`, i.peakRssMiB, '(d) did not run or failed'),
    );
  }
  if (ran.huge)
    out.push(rss('rss-huge', `huge values: peak RSS ≤ ${RSS_LIMIT_MIB} MiB`, i.hugePeakRssMiB, '(d) on --huge failed'));
  if (ran.latency) {
    // "Within 20% of 0 ms": at 5 ms the load keeps at least 80% of its rows/s at 0 ms.
    const at0 = i.latencyRowsPerSecond?.[0];
    const at5 = i.latencyRowsPerSecond?.[5];
    if (at0 === undefined || at5 === undefined || !(at0 > 0)) {
      out.push({
        id: 'latency',
        target: 'load rows/s at 5 ms ≥ 0.8× at 0 ms',
        limit: 0.8,
        verdict: 'n/a',
        note: at5 === undefined ? 'needs 5 in --latency and a successful run' : 'the 0 ms run failed',
      });
    } else {
      const value = at5 / at0;
      out.push({
        id: 'latency',
        target: 'load rows/s at 5 ms ≥ 0.8× at 0 ms',
        limit: 0.8,
        value,
        verdict: value >= 0.8 ? 'PASS' : 'FAIL',
      });
    }
  }
  return out;
}

/** The closing line of the report: every target with its value and verdict. */
export function targetsLine(targets: readonly TargetResult[]): string {
  const cell = (t: TargetResult): string => {
    const value =
      t.value === undefined ? '' : t.id.startsWith('rss') ? ` (${t.value.toFixed(0)} MiB)` : ` (${t.value.toFixed(2)})`;
    // An n/a says why; a figure with a note (load + verify for --apart-only) is an estimate.
    const why = t.verdict === 'n/a' && t.note !== undefined ? ` (${t.note})` : '';
    const est = t.note !== undefined && t.verdict !== 'n/a' ? ' est.' : '';
    return `${t.target}: ${t.verdict}${value}${est}${why}`;
  };
  const all = targets.length > 0 && targets.every((t) => t.verdict === 'PASS');
  return `targets${all ? ' (all PASS)' : ''}: ${targets.map(cell).join('; ')}`;
}
