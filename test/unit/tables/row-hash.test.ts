import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonical, canonicalForHash, rowHash, type CanonicalForm } from '../../../src/tables/canonical.js';
import type { TargetValue } from '../../../src/tables/value.js';
import { rng } from '../../helpers/random.js';

/**
 * A row with a huge value is hashed a piece at a time, its bytea printed as
 * hex in slices; the hash must be the one the whole row's text gives (and
 * which the server computes in rowHashExpr, test/integration/tables/pg-text.test.ts).
 */
function referenceHash(values: readonly (TargetValue | undefined)[], forms: readonly CanonicalForm[]): string {
  const text = values
    .map((v, i) => {
      const c = canonical(v, forms[i] as CanonicalForm);
      return c === null ? 'n' : `v${c}`;
    })
    .join('\u0001');
  return hash('sha256', Buffer.from(text, 'utf8')).slice(0, 16);
}

function hashed(values: readonly (TargetValue | undefined)[], forms: readonly CanonicalForm[]): string {
  return rowHash(values.map((v, i) => canonicalForHash(v, forms[i] as CanonicalForm)));
}

const SLICE = 1 << 15;

describe('rowHash of big rows', () => {
  it('gives the whole text’s hash for small rows, big text and big bytea, in either form', () => {
    const r = rng(7);
    const blob = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
    const rows: [TargetValue[], CanonicalForm[]][] = [
      [[], []],
      [
        [null, 'a', ''],
        ['text', 'text', 'text'],
      ],
      [[blob(10)], ['bytea']],
      [[blob(10)], ['text']],
      [
        ['x'.repeat(3 * SLICE + 5), null, 'tail'],
        ['text', 'text', 'text'],
      ],
      [
        ['head', blob(2 * SLICE + 1), 'é😀'],
        ['text', 'bytea', 'text'],
      ],
      [
        ['head', blob(2 * SLICE + 1)],
        ['text', 'text'],
      ],
      [
        [blob(SLICE + 1), 'x'.repeat(70_000), null],
        ['bytea', 'text', 'bytea'],
      ],
      [
        [null, null, blob(5 * SLICE)],
        ['text', 'check', 'bytea'],
      ],
    ];
    for (const [values, forms] of rows) expect(hashed(values, forms)).toBe(referenceHash(values, forms));
  });

  it('keeps a surrogate pair whole, and a lone surrogate U+FFFD, at every slice boundary of a big text', () => {
    for (const at of [SLICE - 2, SLICE - 1, SLICE, 2 * SLICE - 1]) {
      const chars = Array.from({ length: 3 * SLICE }, (_, i): string => (i % 1000 === 0 ? '\n' : 'a'));
      chars[at] = '\uD83D';
      chars[at + 1] = '\uDE00';
      chars[at - 5] = '\uDC00';
      chars[at + 5] = '\uD800';
      const s = chars.join('');
      // A lone high surrogate ending the value before, a lone low one starting the one after.
      const values = ['a\uD800', s, '\uDC00b'];
      const forms: CanonicalForm[] = ['text', 'text', 'text'];
      expect(hashed(values, forms)).toBe(referenceHash(values, forms));
    }
  });

  it('still tells rows apart: one byte changed deep inside a big value changes the hash', () => {
    const a = Buffer.alloc(3 * SLICE, 7);
    const b = Buffer.from(a);
    b[2 * SLICE + 11] = 8;
    expect(hashed([a], ['bytea'])).not.toBe(hashed([b], ['bytea']));
    const s = 'y'.repeat(3 * SLICE);
    expect(hashed([s], ['text'])).not.toBe(hashed([`${s.slice(0, -1)}z`], ['text']));
  });
});
