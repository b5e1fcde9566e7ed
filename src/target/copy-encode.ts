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

type Utf8Write = (this: Buffer, text: string, offset: number) => number;

/**
 * Buffer's own UTF-8 writer, without the argument handling of `buf.write`:
 * measured 4x faster than joining the row's strings and encoding them, and
 * far faster than `buf.write` per value. It is not documented, so it is
 * looked up once and `buf.write` stands in where it is missing.
 */
const utf8Write: Utf8Write =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Write }).utf8Write
  ?? function (this: Buffer, text: string, offset: number): number {
    return this.write(text, offset, 'utf8');
  };

const TAB = 9;
const NEWLINE = 10;
const NULL_TEXT = '\\N';

/**
 * A batch's COPY payload, each value encoded once, as UTF-8, straight into
 * one growing Buffer. Measured alternatives were all slower on the benchmark
 * source: one concatenated string per batch (ropes, then flattened and
 * re-encoded: the collector took 16 of 36 s), a string per row, and a joined
 * list of pieces per chunk.
 */
export class CopyBuffer {
  #buf: Buffer;
  #len = 0;

  constructor(sizeHint = 1 << 16) {
    this.#buf = Buffer.allocUnsafeSlow(Math.max(1024, sizeHint));
  }

  get length(): number {
    return this.#len;
  }

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.#buf.length * 2, this.#len + extra));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  #text(s: string): void {
    // utf8Write stops silently at the end of the buffer: make room for the
    // worst case first (3 bytes per UTF-16 unit).
    this.#ensure(s.length * 3 + 1);
    this.#len += utf8Write.call(this.#buf, s, this.#len);
  }

  /** Appends one row; `extra` values (plain text, never NULL) follow the row's columns. */
  writeRow(values: readonly TargetValue[], ...extra: string[]): void {
    for (let i = 0; i < values.length; i++) {
      if (i > 0) {
        this.#ensure(1);
        this.#buf[this.#len++] = TAB;
      }
      const v = values[i];
      if (v === null || v === undefined) this.#text(NULL_TEXT);
      else if (typeof v === 'string') this.#text(escapeText(v));
      else this.#text(`\\\\x${v.toString('hex')}`);
    }
    for (const e of extra) {
      this.#ensure(1);
      this.#buf[this.#len++] = TAB;
      this.#text(escapeText(e));
    }
    this.#ensure(1);
    this.#buf[this.#len++] = NEWLINE;
  }

  /** The encoded bytes: a view of the buffer, valid until the next write. */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

/** One row as COPY text, for tests and small payloads. */
export function encodeCopyRow(values: readonly TargetValue[]): string {
  const b = new CopyBuffer();
  b.writeRow(values);
  return b.bytes().toString('utf8');
}
