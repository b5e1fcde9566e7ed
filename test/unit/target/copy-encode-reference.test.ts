import { describe, expect, it } from 'vitest';
import { CopyBuffer } from '../../../src/target/copy-encode.js';
import type { TargetValue } from '../../../src/tables/value.js';
import { randomBytes, randomText, rng } from '../../helpers/random.js';
import { referenceRow } from '../../helpers/copy-reference.js';

/** Equal bytes, or where they first differ (a deep comparison of 100 KB buffers takes vitest seconds). */
function sameBytes(actual: Buffer, expected: Buffer): string {
  if (actual.equals(expected)) return 'same';
  let i = 0;
  while (i < Math.min(actual.length, expected.length) && actual[i] === expected[i]) i++;
  return `lengths ${actual.length}/${expected.length}, first difference at byte ${i}`;
}

function encoded(values: readonly TargetValue[], extra: readonly string[] = [], sizeHint?: number): Buffer {
  const b = new CopyBuffer(sizeHint);
  b.writeRow(values, ...extra);
  return Buffer.from(b.bytes());
}

/** Lengths around the 32 Ki slices the encoder escapes and prints hex in. */
const SLICE = 1 << 15;
const EDGE_LENGTHS = [0, 1, 47, 48, 49, SLICE - 1, SLICE, SLICE + 1, 2 * SLICE + 3, 5 * SLICE];

describe('COPY text encoding against a plain reference encoder', () => {
  it('writes random rows of text and bytea exactly as the reference does', () => {
    const r = rng(1);
    for (let n = 0; n < 200; n++) {
      const row: TargetValue[] = [];
      const width = 1 + Math.floor(r() * 6);
      for (let c = 0; c < width; c++) {
        const kind = r();
        const length = Math.floor(r() * (r() < 0.1 ? 3 * SLICE : 300));
        row.push(kind < 0.1 ? null : kind < 0.25 ? randomBytes(r, length) : randomText(r, length));
      }
      const extra = r() < 0.3 ? [String(n), randomText(r, 20)] : [];
      // A small start makes the buffer grow mid-row; a big one never does.
      expect(sameBytes(encoded(row, extra, 16), referenceRow(row, extra))).toBe('same');
      expect(sameBytes(encoded(row, extra, 1 << 24), referenceRow(row, extra))).toBe('same');
    }
  });

  it('keeps a surrogate pair whole, and a lone surrogate U+FFFD, wherever a slice ends', () => {
    for (const length of EDGE_LENGTHS.filter((l) => l >= SLICE)) {
      for (const at of [SLICE - 2, SLICE - 1, SLICE, length - 2]) {
        const chars = Array.from({ length }, (_, i): string => (i % 997 === 0 ? '\n' : 'a'));
        // A pair across the slice boundary, and lone halves next to it.
        chars[at] = '\uD83D';
        chars[at + 1] = '\uDE00';
        chars[Math.max(0, at - 3)] = '\uDC00';
        chars[Math.min(length - 1, at + 3)] = '\uD800';
        const s = chars.join('').slice(0, length);
        expect(sameBytes(encoded([s]), referenceRow([s]))).toBe('same');
        expect(sameBytes(encoded([s], [], 16), referenceRow([s]))).toBe('same');
      }
    }
  });

  it('prints bytea of every length around its slices, and text with and without escapes at those lengths', () => {
    const r = rng(2);
    for (const length of EDGE_LENGTHS) {
      const bytes = randomBytes(r, length);
      const plain = 'x'.repeat(length);
      const escaped = randomText(r, length);
      for (const row of [[bytes], [plain], [escaped], [plain, bytes, null, escaped]] as TargetValue[][])
        expect(sameBytes(encoded(row), referenceRow(row))).toBe('same');
    }
  });
});
