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

const TAB = 9;
const NEWLINE = 10;

/**
 * A batch's COPY payload, encoded straight into one growing Buffer. Building
 * it as a concatenated string made V8 keep ropes of thousands of pieces, then
 * flatten and re-encode them for hashing and for the socket: most of the
 * tool's time went to the garbage collector. Here every value is written once,
 * as UTF-8, where it ends up.
 */
export class CopyBuffer {
  #buf: Buffer;
  #len = 0;

  constructor(sizeHint = 1 << 16) {
    this.#buf = Buffer.allocUnsafe(Math.max(1024, sizeHint));
  }

  get length(): number {
    return this.#len;
  }

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + extra));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  #text(s: string): void {
    const escaped = escapeText(s);
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    this.#ensure(escaped.length * 3);
    this.#len += this.#buf.write(escaped, this.#len, 'utf8');
  }

  #byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = b;
  }

  /** Appends one row; `extra` values (already plain text, never NULL) follow the row's columns. */
  writeRow(values: readonly TargetValue[], ...extra: string[]): void {
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.#byte(TAB);
      const v = values[i];
      if (v === null || v === undefined) {
        this.#ensure(2);
        this.#buf[this.#len++] = 92;
        this.#buf[this.#len++] = 78;
      } else if (typeof v === 'string') {
        this.#text(v);
      } else {
        this.#ensure(3 + v.length * 2);
        this.#len += this.#buf.write('\\\\x', this.#len, 'latin1');
        this.#len += this.#buf.write(v.toString('hex'), this.#len, 'latin1');
      }
    }
    for (const e of extra) {
      this.#byte(TAB);
      this.#text(e);
    }
    this.#byte(NEWLINE);
  }

  /** The encoded bytes (a view: valid until the next write). */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

/** One row as COPY text, for tests and small payloads. */
export function encodeCopyRow(values: readonly TargetValue[]): string {
  const b = new CopyBuffer(256);
  b.writeRow(values);
  return b.bytes().toString('utf8');
}
