import { describe, expect, it } from 'vitest';
import { checkJson } from '../../../src/tables/json-text.js';

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
