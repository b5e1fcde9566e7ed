import { describe, expect, it } from 'vitest';
import { IdMap } from '../../../../src/pipeline/verify/id-map.js';

/** The ledger's integer pairs as the server aggregates them: big-endian int64 (source id, target id), sorted by source id. */
function ledgerPairs(pairs: readonly (readonly [bigint, bigint])[]): Buffer {
  const sorted = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out = Buffer.alloc(16 * sorted.length);
  sorted.forEach(([f, t], i) => {
    out.writeBigInt64BE(f, 16 * i);
    out.writeBigInt64BE(t, 16 * i + 8);
  });
  return out;
}

describe('IdMap: re-assigned ids, looked up by verify for every source row', () => {
  it('gives each source id its target id, integer or text, and nothing for an id that kept its own', () => {
    const ints: [bigint, bigint][] = [];
    for (let i = 1n; i <= 5000n; i++) ints.push([i * 3n, 1_000_000n + i]);
    ints.push([-5n, 7n], [2n ** 63n - 1n, 1n], [-(2n ** 63n), 2n]);
    // keep-both text ids, one of them written like an integer
    const texts: [string, string][] = [
      ['a1b2c3d4', 'a1b2c3d4~inst-b'],
      ['007', '8'],
    ];
    const map = IdMap.fromLedger(ledgerPairs(ints), texts);
    expect(IdMap.sizeOf(map.data)).toBe(ints.length + texts.length);
    for (const [from, to] of ints) expect(map.get(String(from)), String(from)).toBe(String(to));
    for (const [from, to] of texts) expect(map.get(from), from).toBe(to);
    // Only an id's plain text names it: '03' is not 3, '07' is not '007'.
    for (const absent of ['1', '2', '4', '15001', '-6', '7', 'a1b2c3d4~inst-b', '', '+3', '3.0', ' 3', '03', '07'])
      expect(map.get(absent), absent).toBeUndefined();
    // The same map from its data, as a worker builds it: the integer pairs are shared, not copied.
    const again = new IdMap(map.data);
    expect(map.data.ints).toBeInstanceOf(SharedArrayBuffer);
    for (const [from, to] of ints) expect(again.get(String(from))).toBe(String(to));
    const empty = IdMap.fromLedger(Buffer.alloc(0), []);
    expect(IdMap.sizeOf(empty.data)).toBe(0);
    expect(empty.get('1')).toBeUndefined();
  });
});
