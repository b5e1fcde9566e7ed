import { describe, expect, it } from 'vitest';
import { canonicalForHash, rowHash, STRING_CANON, type CanonicalForm } from '../../../src/tables/canonical.js';
import { float8Text } from '../../../src/tables/pg-text.js';
import { RowHasher } from '../../../src/tables/row-hasher.js';
import type { TargetValue } from '../../../src/tables/value.js';
import { randomBytes, randomText, rng } from '../../helpers/random.js';

/**
 * The load digests every row it sends with RowHasher, verify (and the
 * server, through rowHashExpr) with rowHash: a row must hash the same both
 * ways, or verify would find every row changed. rowHash itself is held to
 * the server in test/integration/tables/pg-text.test.ts.
 */
function reference(values: readonly TargetValue[], idx: readonly number[], forms: readonly CanonicalForm[]): string {
  return rowHash(idx.map((i, j) => canonicalForHash(i < 0 ? null : values[i], forms[j] as CanonicalForm)));
}

const FLOATS = [
  '0.282045892382348',
  '-0.5',
  '1',
  '0',
  '-0',
  '0.001',
  '0.0001',
  '0.00009999',
  '1e-7',
  '99999999999999.99',
  '999999999999999.9',
  '1e+21',
  '123456789012345678',
  '1234567890123456',
  '999999999999999.99',
  'NaN',
  'Infinity',
  '5e-324',
];
const TIMESTAMPS = [
  '2026-01-01 00:43:59.777467+00',
  '2026-01-01 00:43:59.700000+00',
  '2026-01-01 00:43:59.000000+00',
  '2026-01-01 00:43:59+00',
  '2026-01-01 00:43:59.5',
  '2026-01-01 00:43:59',
];
const JSON_TEXTS = [
  '{"source": "user", "tenant_id": "t-4", "workspace_id": "ws-25"}',
  '{"workspace_id": "ws-25", "source": "user", "tags": ["a", "b"]}',
  '{"a":1,"a":2}',
  '{"\\u00e9": 1.50, "x": [1e2, -0, true, null]}',
  '[]',
  '"x"',
  'not json',
];

function randomValue(r: () => number, form: CanonicalForm): TargetValue {
  if (r() < 0.15) return null;
  const pick = (xs: readonly string[]): string => xs[Math.floor(r() * xs.length)] as string;
  switch (form) {
    case 'float8':
      return pick(FLOATS);
    case 'float4':
      return pick(FLOATS.slice(0, 6));
    case 'numeric':
      return pick(['1.50', '2', '-0.000', '1e3', '12345678901234567890.10']);
    case 'timestamptz':
    case 'timestamp':
      return pick(TIMESTAMPS);
    case 'jsonb':
      return pick(JSON_TEXTS);
    case 'bytea':
      return randomBytes(r, Math.floor(r() * 40));
    default:
      // Now and then a value long enough for rowHash's sliced path, or a bytea in a text column.
      if (r() < 0.03) return randomText(r, 40_000);
      if (r() < 0.05) return randomBytes(r, r() < 0.5 ? 10 : 40_000);
      return randomText(r, Math.floor(r() * 60), 0.5);
  }
}

const FORMS: CanonicalForm[] = [
  'text',
  'jsonb',
  'float8',
  'float4',
  'numeric',
  'bytea',
  'timestamptz',
  'timestamp',
  'check',
];

describe('RowHasher', () => {
  it('hashes random rows of every form exactly as rowHash does, checked and missing columns included', () => {
    const r = rng(23);
    for (let n = 0; n < 2000; n++) {
      const width = 1 + Math.floor(r() * 8);
      const forms = Array.from({ length: width }, () => FORMS[Math.floor(r() * FORMS.length)] as CanonicalForm);
      // A checked column is not in the converted row; now and then neither is a compared one (-1).
      const idx = forms.map((f, j) => (f === 'check' || r() < 0.05 ? -1 : j));
      const values = forms.map((f) => randomValue(r, f));
      const hasher = new RowHasher(idx, forms);
      expect(hasher.hash(values), JSON.stringify({ forms, idx, values })).toBe(reference(values, idx, forms));
    }
  });

  it('prints a float8 text without parsing it only where float8Text would give the same text', () => {
    const r = rng(29);
    const texts = [...FLOATS, '0.00099', '0.001', '99999999999999.9', '100000000000000', '-0.0010'];
    for (let n = 0; n < 5000; n++) texts.push(String((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20)));
    for (const v of texts) expect(STRING_CANON.float8(v), v).toBe(float8Text(Number(v), v));
  });

  it('tells apart rows that differ in one value, or only in where a NULL is', () => {
    const forms: CanonicalForm[] = ['text', 'text', 'jsonb'];
    const hasher = new RowHasher([0, 1, 2], forms);
    const rows: TargetValue[][] = [
      ['a', null, '{"x": 1}'],
      [null, 'a', '{"x": 1}'],
      ['a', '', '{"x": 1}'],
      ['a', null, '{"x": 2}'],
    ];
    expect(new Set(rows.map((row) => hasher.hash(row))).size).toBe(rows.length);
    // The same JSON written with other spacing or key order is the same jsonb value.
    expect(hasher.hash(['a', null, '{ "x":1 }'])).toBe(hasher.hash(['a', null, '{"x": 1}']));
  });
});
