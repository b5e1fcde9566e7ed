/**
 * JSON in TEXT columns, checked against what PostgreSQL's jsonb accepts.
 *
 * Python's `json.dumps` writes `NaN`, `Infinity` and `-Infinity` (allow_nan is
 * on by default) and escapes NUL as `\u0000`; jsonb rejects all four (reference
 * §0.7). Valid JSON is passed on as the original text, never re-serialised, so
 * numbers keep every digit (JSON.parse would round 2^53+1) and jsonb sees
 * exactly what SQLite held. Only a value that needs a repair is rewritten, by a
 * token-level scan that changes nothing but the offending tokens.
 */

export type JsonCheck =
  | { readonly ok: true; readonly text: string; readonly nonfinite: boolean; readonly nul: boolean }
  | { readonly ok: false; readonly reason: string };

const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89abAB])/;

export function checkJson(text: string, repair: { nonfinite: boolean; nul: boolean }): JsonCheck {
  // Most values are plain JSON: one scan that allocates nothing says so, and
  // JSON.parse (which builds every object only to drop it) runs for the rest.
  if (isPlainJson(text)) return { ok: true, text, nonfinite: false, nul: false };
  let parsedOk = true;
  try {
    JSON.parse(text);
  } catch {
    parsedOk = false;
  }
  if (parsedOk && !SUSPECT_ESCAPE.test(text)) return { ok: true, text, nonfinite: false, nul: false };

  const scan = scanJson(text, repair);
  if (scan.loneSurrogate) return { ok: false, reason: 'a \\u escape is half of a surrogate pair, which jsonb rejects' };
  if (scan.nonfinite && !repair.nonfinite) return { ok: false, reason: 'NaN or Infinity, which jsonb rejects' };
  if (scan.nul && !repair.nul) return { ok: false, reason: '\\u0000, which jsonb rejects' };
  try {
    JSON.parse(scan.text);
  } catch (err: unknown) {
    return { ok: false, reason: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { ok: true, text: scan.text, nonfinite: scan.nonfinite, nul: scan.nul };
}

interface Scan {
  readonly text: string;
  readonly nonfinite: boolean;
  readonly nul: boolean;
  readonly loneSurrogate: boolean;
}

const NONFINITE_TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;

/** One pass over the text: outside strings, non-finite tokens become null; inside, `\u0000` escapes go. */
function scanJson(text: string, repair: { nonfinite: boolean; nul: boolean }): Scan {
  let out = '';
  let nonfinite = false;
  let nul = false;
  let loneSurrogate = false;
  let copiedTo = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\') {
          if (text[i + 1] === 'u') {
            const code = parseInt(text.slice(i + 2, i + 6), 16);
            if (code === 0) {
              nul = true;
              if (repair.nul) {
                out += text.slice(copiedTo, i);
                copiedTo = i + 6;
              }
            } else if (code >= 0xd800 && code <= 0xdbff) {
              const next = text.slice(i + 6, i + 8) === '\\u' ? parseInt(text.slice(i + 8, i + 12), 16) : NaN;
              if (!(next >= 0xdc00 && next <= 0xdfff)) loneSurrogate = true;
              else i += 6;
            } else if (code >= 0xdc00 && code <= 0xdfff) {
              loneSurrogate = true;
            }
            i += 6;
            continue;
          }
          i += 2;
          continue;
        }
        i++;
      }
      i++;
      continue;
    }
    if (ch === '-' || ch === 'I' || ch === 'N') {
      const token = NONFINITE_TOKENS.find((t) => text.startsWith(t, i));
      if (token !== undefined) {
        nonfinite = true;
        if (repair.nonfinite) {
          out += text.slice(copiedTo, i) + 'null';
          copiedTo = i + token.length;
        }
        i += token.length;
        continue;
      }
    }
    i++;
  }
  return { text: copiedTo === 0 ? text : out + text.slice(copiedTo), nonfinite, nul, loneSurrogate };
}

/** Nesting deeper than this is left to JSON.parse, which decides it as before (its stack, its error). */
const PLAIN_DEPTH = 256;

/**
 * True when `text` is JSON that JSON.parse accepts (RFC 8259's grammar, the
 * same four whitespace characters) with nothing jsonb rejects: no `\u0000`
 * escape, no escaped surrogate (paired or not: the slow path judges those),
 * nesting at most PLAIN_DEPTH deep. False means "not known to be plain", never
 * "invalid": checkJson then decides as it did before this scan existed.
 * It reads the text once and allocates nothing.
 */
export function isPlainJson(text: string): boolean {
  const end = new PlainJsonScan(text).value(0);
  return end !== -1 && skipWhitespace(text, end) === text.length;
}

function skipWhitespace(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++i);
  return i;
}

/** Each method takes a position and returns the one after what it read, or -1. */
class PlainJsonScan {
  readonly #s: string;

  constructor(s: string) {
    this.#s = s;
  }

  /** A value after optional whitespace, starting at `at`, at nesting `depth`. */
  value(depth: number, at = 0): number {
    const s = this.#s;
    const i = skipWhitespace(s, at);
    const c = s.charCodeAt(i);
    if (c === 34) return this.#string(i);
    if (c === 123) return depth >= PLAIN_DEPTH ? -1 : this.#object(i, depth + 1);
    if (c === 91) return depth >= PLAIN_DEPTH ? -1 : this.#array(i, depth + 1);
    if (c === 116) return s.startsWith('true', i) ? i + 4 : -1;
    if (c === 102) return s.startsWith('false', i) ? i + 5 : -1;
    if (c === 110) return s.startsWith('null', i) ? i + 4 : -1;
    return this.#number(i);
  }

  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  #number(at: number): number {
    const s = this.#s;
    let i = at;
    if (s.charCodeAt(i) === 45) i++;
    let c = s.charCodeAt(i);
    if (c === 48) c = s.charCodeAt(++i);
    else if (c >= 49 && c <= 57) {
      do c = s.charCodeAt(++i);
      while (c >= 48 && c <= 57);
    } else return -1;
    if (c === 46) {
      const from = ++i;
      for (c = s.charCodeAt(i); c >= 48 && c <= 57; c = s.charCodeAt(++i));
      if (i === from) return -1;
    }
    if (c === 101 || c === 69) {
      c = s.charCodeAt(++i);
      if (c === 43 || c === 45) c = s.charCodeAt(++i);
      const from = i;
      for (; c >= 48 && c <= 57; c = s.charCodeAt(++i));
      if (i === from) return -1;
    }
    return i;
  }

  /** A string token from its opening quote at `at`. */
  #string(at: number): number {
    const s = this.#s;
    for (let i = at + 1; i < s.length;) {
      const c = s.charCodeAt(i);
      if (c === 34) return i + 1;
      if (c < 32) return -1;
      if (c !== 92) {
        i++;
        continue;
      }
      const e = s.charCodeAt(i + 1);
      if (e === 117) {
        let code = 0;
        for (let k = i + 2; k < i + 6; k++) {
          const h = s.charCodeAt(k);
          const d = h >= 48 && h <= 57 ? h - 48 : h >= 97 && h <= 102 ? h - 87 : h >= 65 && h <= 70 ? h - 55 : -1;
          if (d === -1) return -1;
          code = code * 16 + d;
        }
        // jsonb rejects \u0000; an escaped surrogate may be half of a pair: checkJson's scan judges both.
        if (code === 0 || (code >= 0xd800 && code <= 0xdfff)) return -1;
        i += 6;
      } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
        i += 2;
      } else return -1;
    }
    return -1;
  }

  #array(at: number, depth: number): number {
    const s = this.#s;
    let i = skipWhitespace(s, at + 1);
    if (s.charCodeAt(i) === 93) return i + 1;
    for (;;) {
      i = this.value(depth, i);
      if (i === -1) return -1;
      i = skipWhitespace(s, i);
      const c = s.charCodeAt(i);
      if (c === 93) return i + 1;
      if (c !== 44) return -1;
      i++;
    }
  }

  #object(at: number, depth: number): number {
    const s = this.#s;
    let i = skipWhitespace(s, at + 1);
    if (s.charCodeAt(i) === 125) return i + 1;
    for (;;) {
      if (s.charCodeAt(i) !== 34) return -1;
      i = this.#string(i);
      if (i === -1) return -1;
      i = skipWhitespace(s, i);
      if (s.charCodeAt(i) !== 58) return -1;
      i = this.value(depth, i + 1);
      if (i === -1) return -1;
      i = skipWhitespace(s, i);
      const c = s.charCodeAt(i);
      if (c === 125) return i + 1;
      if (c !== 44) return -1;
      i = skipWhitespace(s, i + 1);
    }
  }
}
