import type { TargetValue } from '../tables/value.js';

/**
 * COPY … FROM STDIN in text format: columns split by tab, rows by newline,
 * NULL as `\N`, and backslash, tab, newline and carriage return escaped
 * (PostgreSQL docs, COPY, "Text Format"). bytea goes in its hex form `\x…`,
 * whose backslash is itself escaped.
 */
const NEEDS_ESCAPE = /[\\\t\n\r]/;

function escapeText(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) out += '\\\\';
    else if (c === 9) out += '\\t';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else out += s[i];
  }
  return out;
}

export function encodeCopyRow(values: readonly TargetValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    const v = values[i];
    if (v === null || v === undefined) line += '\\N';
    else if (typeof v === 'string') line += escapeText(v);
    else line += `\\\\x${v.toString('hex')}`;
  }
  return `${line}\n`;
}
