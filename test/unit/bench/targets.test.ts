import { describe, expect, it } from 'vitest';
import {
  computeTargets,
  lowerMedian,
  targetInputs,
  targetsLine,
  type RunFigures,
  type TargetResult,
} from '../../../bench/targets.js';

const ROWS = { rows: true, huge: false, latency: false };

/** A complete run; `steps` default to one command of the whole wall time. */
function run(id: RunFigures['id'], wallSeconds: number, extra: Partial<RunFigures> = {}): RunFigures {
  return {
    id,
    variant: 'main',
    status: 'ok',
    countsOk: true,
    wallSeconds,
    peakRssMiB: 10,
    sourceRows: 300_000,
    steps: [{ wallMs: wallSeconds * 1000 }],
    ...extra,
  };
}

/** (d) with --verify-apart: the load and verify as two commands. */
const apart = (load: number, verify: number, extra: Partial<RunFigures> = {}): RunFigures =>
  run('d', load + verify, { steps: [{ wallMs: load * 1000 }, { wallMs: verify * 1000 }], ...extra });

const byId = (ts: readonly TargetResult[]): Record<string, TargetResult> =>
  Object.fromEntries(ts.map((t) => [t.id, t]));

describe('bench targets (issue 15)', () => {
  it('takes the lower middle as the median', () => {
    expect(lowerMedian([3, 1, 2])).toBe(2);
    expect(lowerMedian([4, 1, 3, 2])).toBe(2);
    expect(lowerMedian([])).toBeUndefined();
  });

  it('judges each target on the medians over --repeat, and the highest peak RSS of every (d) command', () => {
    const results: RunFigures[] = [
      ...[30, 36, 33].map((w) => run('a', w)),
      ...[27, 29, 28].map((w) => run('b', w)),
      ...[40, 35, 36].map((w) => run('c', w)),
      apart(25, 9, { peakRssMiB: 200 }),
      apart(27, 11, { peakRssMiB: 180 }),
      apart(26, 10, { peakRssMiB: 190 }),
      ...[31, 33, 32].map((w) => run('d', w, { variant: 'both', peakRssMiB: 210 })),
      // A failed run counts for nothing, not even its memory.
      run('d', 5, { variant: 'both', status: 'failed', peakRssMiB: 900 }),
    ];
    const inputs = targetInputs(results, { estimateBoth: false, mainVerifies: false });
    expect(inputs).toMatchObject({ a: 33, b: 28, c: 36, load: 26, verify: 10, migrateWithVerify: 32, peakRssMiB: 210 });
    expect(inputs.migrateWithVerifyEstimated).toBeUndefined();
    const t = byId(computeTargets(inputs, ROWS));
    expect(t['migrate-vs-a']).toMatchObject({ verdict: 'PASS', value: 32 / 33, limit: 1 });
    expect(t['load-vs-b']).toMatchObject({ verdict: 'PASS', value: 26 / 28 });
    expect(t['load-vs-c']).toMatchObject({ verdict: 'FAIL', value: 26 / 36, limit: 0.7 });
    expect(t['verify-vs-load']).toMatchObject({ verdict: 'PASS', value: 10 / 26, limit: 0.4 });
    expect(t.rss).toMatchObject({ verdict: 'PASS', value: 210 });
  });

  it('fails a target that is missed and passes one that is met exactly', () => {
    const t = byId(computeTargets({ a: 30, b: 20, load: 20, verify: 8, migrateWithVerify: 31, peakRssMiB: 256 }, ROWS));
    expect(t['migrate-vs-a']?.verdict).toBe('FAIL');
    expect(t['load-vs-b']?.verdict).toBe('PASS');
    expect(t['verify-vs-load']?.verdict).toBe('PASS');
    expect(t.rss?.verdict).toBe('PASS');
    // (c) did not run (pgloader missing): its target is left out, not failed.
    expect(t['load-vs-c']).toBeUndefined();
    expect(computeTargets({ peakRssMiB: 256.5 }, ROWS).find((x) => x.id === 'rss')?.verdict).toBe('FAIL');
  });

  it('says n/a, with the reason, for what the run did not measure', () => {
    // Plain run: (d) is migrate with its verify, so the load alone is unknown.
    const inputs = targetInputs([run('a', 30), run('b', 25), run('d', 40, { peakRssMiB: 300 })], {
      estimateBoth: false,
      mainVerifies: true,
    });
    expect(inputs).toMatchObject({ migrateWithVerify: 40, peakRssMiB: 300 });
    expect(inputs.load).toBeUndefined();
    const t = byId(computeTargets(inputs, ROWS));
    expect(t['migrate-vs-a']?.verdict).toBe('FAIL');
    expect(t['load-vs-b']).toMatchObject({ verdict: 'n/a', note: 'the load alone needs --verify-apart' });
    expect(t['verify-vs-load']).toMatchObject({ verdict: 'n/a', note: 'needs --verify-apart' });
    expect(t.rss?.verdict).toBe('FAIL');
    // BENCH_MIGRATE_ARGS=--no-verify: the plain (d) run is a load, not migrate with its verify.
    expect(
      targetInputs([run('d', 40)], { estimateBoth: false, mainVerifies: false }).migrateWithVerify,
    ).toBeUndefined();
  });

  it('with --apart-only, takes load + verify as migrate with its verify, and marks it an estimate', () => {
    const inputs = targetInputs([run('a', 40), apart(25, 10), apart(27, 12), apart(30, 2)], {
      estimateBoth: true,
      mainVerifies: false,
    });
    expect(inputs).toMatchObject({ migrateWithVerify: 35, migrateWithVerifyEstimated: true, load: 27, verify: 10 });
    const t = byId(computeTargets(inputs, ROWS));
    expect(t['migrate-vs-a']).toMatchObject({ verdict: 'PASS', note: expect.stringContaining('upper bound') });
    expect(targetsLine([t['migrate-vs-a']!])).toContain('PASS (0.88) est.');
  });

  it('judges the load at 5 ms against 0 ms on rows/s, within 20%', () => {
    const lat = (ms: number, wall: number, extra: Partial<RunFigures> = {}): RunFigures =>
      run('d', wall, { variant: 'latency', latencyMs: ms, ...extra });
    const inputs = targetInputs([lat(0, 10), lat(1, 11), lat(5, 12), lat(0, 11), lat(5, 11), lat(5, 50)], {
      estimateBoth: false,
      mainVerifies: true,
    });
    expect(inputs.latencyRowsPerSecond).toEqual({ 0: 30_000, 1: 300_000 / 11, 5: 25_000 });
    const on = { rows: false, huge: false, latency: true };
    expect(computeTargets(inputs, on)).toEqual([
      {
        id: 'latency',
        target: 'load rows/s at 5 ms ≥ 0.8× at 0 ms',
        limit: 0.8,
        value: 25_000 / 30_000,
        verdict: 'PASS',
      },
    ]);
    expect(computeTargets({ latencyRowsPerSecond: { 0: 100, 5: 79 } }, on)[0]?.verdict).toBe('FAIL');
    expect(computeTargets({ latencyRowsPerSecond: { 0: 100, 1: 90 } }, on)[0]).toMatchObject({
      verdict: 'n/a',
      note: 'needs 5 in --latency and a successful run',
    });
    // The latency loads are (d) commands too: their memory is in the row-count peak.
    expect(
      targetInputs([lat(0, 10, { peakRssMiB: 270 })], { estimateBoth: false, mainVerifies: true }).peakRssMiB,
    ).toBe(270);
  });

  it('judges the huge-value run on its own peak RSS, kept apart from the row-count one', () => {
    const inputs = targetInputs(
      [run('d', 40, { peakRssMiB: 200 }), run('d', 9, { variant: 'huge', peakRssMiB: 648, sourceRows: 2 })],
      { estimateBoth: false, mainVerifies: true },
    );
    expect(inputs).toMatchObject({ peakRssMiB: 200, hugePeakRssMiB: 648 });
    const hugeOnly = computeTargets(inputs, { rows: false, huge: true, latency: false });
    expect(hugeOnly).toEqual([
      { id: 'rss-huge', target: 'huge values: peak RSS ≤ 256 MiB', limit: 256, value: 648, verdict: 'FAIL' },
    ]);
  });

  it('ends the report with one line naming every target and its verdict', () => {
    const line = targetsLine(
      computeTargets({ a: 30, b: 20, c: 40, load: 18, verify: 5, migrateWithVerify: 25, peakRssMiB: 120 }, ROWS),
    );
    expect(line).toBe(
      'targets (all PASS): migrate with verify ≤ 1.0× (a): PASS (0.83); load ≤ 1.0× (b): PASS (0.90); '
        + 'load ≤ 0.7× (c): PASS (0.45); verify ≤ 0.4× load: PASS (0.28); peak RSS ≤ 256 MiB: PASS (120 MiB)',
    );
    expect(targetsLine(computeTargets({ a: 30 }, ROWS))).toMatch(
      /^targets: migrate with verify ≤ 1.0× \(a\): n\/a \(\(d\) with its verify did not run or failed\);/,
    );
  });
});
