import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CopyBuffer, MIN_CHUNK } from '../../../src/target/copy-encode.js';
import type { TargetValue } from '../../../src/tables/value.js';
import { randomBytes, randomText, rng } from '../../helpers/random.js';
import { referenceRow } from '../../helpers/copy-reference.js';

function sameBytes(actual: Buffer, expected: Buffer): string {
  if (actual.equals(expected)) return 'same';
  let i = 0;
  while (i < Math.min(actual.length, expected.length) && actual[i] === expected[i]) i++;
  return `lengths ${actual.length}/${expected.length}, first difference at byte ${i}`;
}

interface Row {
  readonly values: readonly TargetValue[];
  readonly extra: readonly string[];
}

/** The rows streamed through a buffer of `chunkBytes`: every chunk, as handed over. */
function streamed(rows: readonly Row[], chunkBytes: number): Buffer[] {
  const out = new CopyBuffer(chunkBytes);
  const chunks: Buffer[] = [];
  for (const r of rows) for (const c of out.writeRowInChunks(r.values, ...r.extra)) chunks.push(c);
  const last = out.take();
  if (last.length > 0) chunks.push(last);
  return chunks;
}

function whole(rows: readonly Row[]): Buffer {
  const out = new CopyBuffer();
  for (const r of rows) out.writeRow(r.values, ...r.extra);
  return Buffer.from(out.bytes());
}

const sha256 = (chunks: readonly Buffer[]): string => {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
};

const SLICE = 1 << 15;

describe('COPY text encoding streamed in chunks', () => {
  it('writes random rows of huge and small values exactly as one buffer and the reference do, with the same sha256', () => {
    const r = rng(11);
    const rows: Row[] = [];
    for (let n = 0; n < 60; n++) {
      const values: TargetValue[] = [];
      const width = 1 + Math.floor(r() * 5);
      for (let c = 0; c < width; c++) {
        const kind = r();
        const huge = r() < 0.15;
        const length = Math.floor(r() * (huge ? 9 * SLICE : 400));
        values.push(
          kind < 0.1 ? null : kind < 0.35 ? randomBytes(r, length) : randomText(r, length, huge ? 0.97 : 0.7),
        );
      }
      rows.push({ values, extra: r() < 0.3 ? [String(n), randomText(r, 30)] : [] });
    }
    const expected = Buffer.concat(rows.map((row) => referenceRow(row.values, row.extra)));
    expect(sameBytes(whole(rows), expected)).toBe('same');
    // The smallest chunk, an odd size, and one larger than most values.
    for (const size of [MIN_CHUNK, MIN_CHUNK + 7, 3 * MIN_CHUNK + 1]) {
      const chunks = streamed(rows, size);
      expect(chunks.length).toBeGreaterThan(2);
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(size);
      expect(sameBytes(Buffer.concat(chunks), expected)).toBe('same');
      expect(sha256(chunks)).toBe(createHash('sha256').update(expected).digest('hex'));
    }
  });

  it('splits one value far larger than the chunk across chunks: text with escapes, pairs and lone surrogates, and bytea', () => {
    const r = rng(12);
    const length = 20 * SLICE + 5;
    const chars = Array.from({ length }, (): string => 'a');
    // Escapes, multi-byte characters and surrogate pairs at and around every slice's end.
    for (let at = SLICE - 3; at < length - 3; at += SLICE) {
      chars[at] = '\n';
      chars[at + 1] = '\uD83D';
      chars[at + 2] = '\uDE00';
      chars[at - 1] = '€';
      chars[at - 2] = '\uDC00';
      chars[at + 3] = '\uD800';
    }
    const text = chars.join('');
    const rows: Row[] = [
      { values: [text, randomBytes(r, 10 * SLICE + 3), null], extra: [] },
      { values: [randomText(r, 7 * SLICE + 1, 0.5), ''], extra: ['1', 'k\\1'] },
    ];
    const expected = Buffer.concat(rows.map((row) => referenceRow(row.values, row.extra)));
    for (const size of [MIN_CHUNK, MIN_CHUNK + 1, MIN_CHUNK + 3 * SLICE - 1]) {
      const chunks = streamed(rows, size);
      expect(chunks.length).toBeGreaterThan(4);
      expect(sameBytes(Buffer.concat(chunks), expected)).toBe('same');
    }
  });

  it('hands over a new buffer for every chunk, so one still being sent is never overwritten', () => {
    const rows: Row[] = [{ values: ['x'.repeat(5 * MIN_CHUNK), Buffer.alloc(MIN_CHUNK, 7)], extra: [] }];
    const chunks = streamed(rows, MIN_CHUNK);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
    expect(sameBytes(Buffer.concat(chunks), referenceRow(rows[0]?.values ?? []))).toBe('same');
  });

  it('refuses a buffer too small for the largest piece it writes at once', () => {
    const out = new CopyBuffer(1024);
    expect(() => out.writeRowInChunks(['a']).next()).toThrow(RangeError);
  });
});
