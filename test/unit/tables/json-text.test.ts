import { describe, expect, it } from 'vitest';
import { checkJson, isPlainJson } from '../../../src/tables/json-text.js';
import { rng } from '../../helpers/random.js';

const repair = { nonfinite: true, nul: true };

describe('checkJson', () => {
  it('passes valid JSON on as the original text, digits and spacing intact', () => {
    const text = '{"a": 12345678901234567890, "b": 1.0, "c": [1, 2]}';
    expect(checkJson(text, repair)).toEqual({ ok: true, text, nonfinite: false, nul: false });
  });

  it('turns NaN and Infinity tokens into null, outside strings only', () => {
    const r = checkJson('{"x": NaN, "y": [Infinity, -Infinity], "s": "NaN Infinity"}', repair);
    expect(r).toEqual({
      ok: true,
      text: '{"x": null, "y": [null, null], "s": "NaN Infinity"}',
      nonfinite: true,
      nul: false,
    });
  });

  it('removes \\u0000 escapes and nothing else', () => {
    const r = checkJson('{"k": "a\\u0000b", "e": "\\\\u0000"}', repair);
    expect(r).toEqual({ ok: true, text: '{"k": "ab", "e": "\\\\u0000"}', nonfinite: false, nul: true });
  });

  it('rejects when the policy says reject', () => {
    expect(checkJson('[NaN]', { nonfinite: false, nul: true }).ok).toBe(false);
    expect(checkJson('["\\u0000"]', { nonfinite: true, nul: false }).ok).toBe(false);
  });

  it('rejects invalid JSON and lone surrogates that jsonb refuses', () => {
    expect(checkJson('{"a": 1', repair).ok).toBe(false);
    expect(checkJson('["\\ud800"]', repair).ok).toBe(false);
    expect(checkJson('["\\ud83d\\ude00"]', repair).ok).toBe(true);
  });
});

/** A random JSON document: nested objects and arrays of numbers, strings with escapes, literals. */
function randomJson(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 5 : 7));
  if (pick === 0) return Math.floor(r() * 1e6) / (r() < 0.5 ? 1 : 1000) - 500;
  if (pick === 1) return ['a"b', 'c\\d', 'tab\there', 'é中😀', '/', '', 'line\nbreak'][Math.floor(r() * 7)];
  if (pick === 2) return [true, false, null][Math.floor(r() * 3)];
  if (pick === 3) return r() < 0.5 ? 1e21 : -0.000001;
  if (pick === 4) return 'plain';
  if (pick === 5) return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, (_, i) => [`k${i}`, randomJson(r, depth + 1)]));
}

const MUTATIONS = ['', ' ', ',', ':', '"', '\\', '{', '}', '[', ']', '0', '-', '.', 'e', '\u0001', 'u', 'n', 'x'];

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('isPlainJson', () => {
  it('says plain only of what JSON.parse accepts, for hand-picked edges of the grammar', () => {
    const cases = [
      '0',
      '-0',
      '01',
      '1.',
      '.5',
      '1e5',
      '1E+5',
      '1e',
      '-',
      '+1',
      '1.5e-3',
      '""',
      '"\\/"',
      '"\\v"',
      '"\\u00e9"',
      '"\\u00G0"',
      '"a\u0001"',
      '[1,]',
      '{"a":1,}',
      '{"a" 1}',
      '{1: 2}',
      '[1 2]',
      ' \t\n\r[]\r\n',
      '\u000b[]',
      'true',
      'tru',
      'nulls',
      'NaN',
      'Infinity',
      '-Infinity',
      '{"a": [{}, []]}',
      '',
      ' ',
      '[',
      '"',
      '{"a":"b"}x',
    ];
    // None of these holds a \u0000 or surrogate escape or deep nesting: plain is exactly valid.
    for (const text of cases) expect([text, isPlainJson(text)]).toEqual([text, parses(text)]);
    expect(cases.filter(isPlainJson).length).toBeGreaterThan(10);
  });

  it('leaves to the slow path what jsonb may refuse: \\u0000, escaped surrogates, deep nesting', () => {
    expect(isPlainJson('["\\u0000"]')).toBe(false);
    expect(isPlainJson('["\\ud83d\\ude00"]')).toBe(false);
    expect(isPlainJson('["\\uDC00"]')).toBe(false);
    expect(isPlainJson('["😀 \\\\u0000"]')).toBe(true);
    expect(isPlainJson(`${'['.repeat(256)}${']'.repeat(256)}`)).toBe(true);
    expect(isPlainJson(`${'['.repeat(257)}${']'.repeat(257)}`)).toBe(false);
    // and checkJson still decides them as it did: deep but valid JSON passes, NUL is repaired.
    const deep = `${'{"a":'.repeat(300)}1${'}'.repeat(300)}`;
    expect(checkJson(deep, repair)).toEqual({ ok: true, text: deep, nonfinite: false, nul: false });
    expect(checkJson('["\\u0000"]', repair)).toEqual({ ok: true, text: '[""]', nonfinite: false, nul: true });
  });

  it('agrees with JSON.parse on thousands of random documents and their one-character mutations', () => {
    const r = rng(7);
    let plain = 0;
    for (let n = 0; n < 3000; n++) {
      const text = JSON.stringify(randomJson(r, 0), null, r() < 0.5 ? undefined : 1);
      expect([text, isPlainJson(text)]).toEqual([text, true]);
      const at = Math.floor(r() * (text.length + 1));
      const cut = Math.floor(r() * 2);
      const mutated =
        text.slice(0, at) + (MUTATIONS[Math.floor(r() * MUTATIONS.length)] as string) + text.slice(at + cut);
      // Without a \u in it, plain is exactly valid; with one, plain still implies valid.
      const expected = mutated.includes('\\u') ? isPlainJson(mutated) && parses(mutated) : parses(mutated);
      expect([mutated, isPlainJson(mutated)]).toEqual([mutated, expected]);
      if (isPlainJson(mutated)) plain++;
    }
    expect(plain).toBeGreaterThan(500);
  });
});
