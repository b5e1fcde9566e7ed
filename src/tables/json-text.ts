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
