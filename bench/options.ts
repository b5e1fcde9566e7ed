/** Parsing of the runner's option values (bench/run.ts), kept free of side effects so it can be tested. */
import type { BenchSizes } from './generate.js';

/** "1.5m", "300k", "1500000": total rows, split 2:1 between continuum_memory and matches. */
export function parseRows(text: string, seed: number): BenchSizes {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!m) throw new Error(`bad --rows ${text}`);
  const total = Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 'm' ? 1e6 : m[2]?.toLowerCase() === 'k' ? 1e3 : 1));
  if (total < 3) throw new Error(`--rows ${text} is too small`);
  const continuumRows = Math.round((total * 2) / 3);
  return { continuumRows, matchesRows: total - continuumRows, seed };
}

/** "0,1,5": one-way delays in ms, ascending, without repeats; 0 is always added (the latency ratio is to 0 ms). */
export function parseLatency(text: string): number[] {
  const list = text.split(',').map((s) => s.trim());
  const bad = list.filter((s) => !/^\d+(?:\.\d+)?$/.test(s));
  if (bad.length > 0) throw new Error(`bad --latency ${text} (e.g. 0,1,5: milliseconds)`);
  return [...new Set([0, ...list.map(Number)])].sort((a, b) => a - b);
}
