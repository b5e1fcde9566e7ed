import { describe, expect, it } from 'vitest';
import { jsonbParam } from '../../../src/ledger/jsonb-param.js';

/** What jsonb refuses in a string (src/ledger/jsonb-param.ts), and what it keeps. */
describe('jsonbParam', () => {
  it('gives U+FFFD for a lone surrogate, either half, and for NUL, at any depth', () => {
    const value = { reason: "Unexpected token '\ud83d'", cut: ['abc\ud83d', '\ude00x'], nested: { s: 'a\u0000b' } };
    expect(JSON.parse(jsonbParam(value))).toEqual({
      reason: "Unexpected token '\ufffd'",
      cut: ['abc\ufffd', '\ufffdx'],
      nested: { s: 'a\ufffdb' },
    });
  });

  it('keeps whole surrogate pairs, and every other value, as JSON.stringify writes them', () => {
    const value = { emoji: '😀 and \ud83d\ude00', n: 2 ** 53, none: null, list: [true, 'é'] };
    expect(jsonbParam(value)).toBe(JSON.stringify(value));
  });
});
