import { describe, expect, it } from 'vitest';
import { parseLatency, parseRows } from '../../../bench/options.js';

describe('bench options', () => {
  it('reads --rows as total rows, two thirds continuum_memory and one third matches', () => {
    expect(parseRows('0.3m', 42)).toEqual({ continuumRows: 200_000, matchesRows: 100_000, seed: 42 });
    expect(parseRows('1.5m', 1)).toEqual({ continuumRows: 1_000_000, matchesRows: 500_000, seed: 1 });
    expect(parseRows('3m', 42)).toEqual({ continuumRows: 2_000_000, matchesRows: 1_000_000, seed: 42 });
    expect(parseRows('3k', 42)).toEqual({ continuumRows: 2000, matchesRows: 1000, seed: 42 });
    expect(parseRows('300000', 42)).toEqual({ continuumRows: 200_000, matchesRows: 100_000, seed: 42 });
    expect(() => parseRows('2', 42)).toThrow('too small');
    expect(() => parseRows('lots', 42)).toThrow('bad --rows');
  });

  it('reads --latency as one-way delays in ms, ascending, always with 0 ms to compare with', () => {
    expect(parseLatency('0,1,5')).toEqual([0, 1, 5]);
    expect(parseLatency('5, 1')).toEqual([0, 1, 5]);
    expect(parseLatency('5,5,0.5')).toEqual([0, 0.5, 5]);
    expect(() => parseLatency('1,-5')).toThrow('bad --latency');
    expect(() => parseLatency('')).toThrow('bad --latency');
  });
});
