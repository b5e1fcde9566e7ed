import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CopyBuffer, MIN_CHUNK } from '../../../src/target/copy-encode.js';
import type { TargetValue } from '../../../src/tables/value.js';

/**
 * A page of huge values is streamed to COPY through a buffer of a few MiB
 * (CopyBuffer.writeRowInChunks): the chunks, joined, must be byte for byte
 * what one buffer holds, wherever a chunk ends (inside a value, an escape, a
 * multi-byte character, a surrogate pair), and so hash the same.
 */

/** The plainest encoder: each character escaped one at a time, the row joined, then UTF-8 (a lone surrogate as U+FFFD). */
function referenceRow(values: readonly TargetValue[], extra: readonly string[] = []): Buffer {
  const escape = (s: string): string =>
    s
      .split('')
      .map((ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch))
      .join('');
  const cols = values.map((v) =>
    v === null || v === undefined ? '\\N' : typeof v === 'string' ? escape(v) : `\\\\x${v.toString('hex')}`,
  );
  return Buffer.from(`${[...cols, ...extra.map(escape)].join('\t')}\n`, 'utf8');
}

/** A small seeded generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', ' ', '0', '\t', '\n', '\r', '\\', 'é', 'ÿ', '€', '中', '😀', '\uD800', '\uDC00', '\u0000'];

function randomText(r: () => number, length: number, plain = 0.7): string {
  const parts: string[] = [];
  for (let n = 0; n < length;) {
    const ch = r() < plain ? 'a' : (ALPHABET[Math.floor(r() * ALPHABET.length)] as string);
    parts.push(ch);
    n += ch.length;
  }
  return parts.join('').slice(0, length);
}

function randomBytes(r: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(r() * 256);
  return b;
}

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
