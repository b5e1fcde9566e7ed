import { valueText, type TargetValue } from '../tables/value.js';

/*
 * COPY … FROM STDIN in text format: columns split by tab, rows by newline,
 * NULL as `\N`, and backslash, tab, newline and carriage return escaped
 * (PostgreSQL docs, COPY, "Text Format"). bytea goes in its hex form `\x…`,
 * whose backslash is itself escaped.
 */

const BACKSLASH = 92;
const TAB = 9;
const NEWLINE = 10;
const CR = 13;
const ESCAPED = ['\\', '\t', '\n', '\r'] as const;

/**
 * Below this length a string is searched for characters to escape in
 * JavaScript, above it by `includes`, a native search: both measured several
 * times faster than a regular expression's test, which looks at every position.
 */
const SCAN_NATIVE_FROM = 48;

/**
 * A text longer than this (UTF-16 units) that needs escaping is escaped a
 * slice at a time, and bytea printed as hex this many bytes at a time: each
 * intermediate string is then at most 64 KiB, short-lived in V8's young
 * generation, where the escaped copy of a 50 MB text would be another 50 MB,
 * and the hex of a 50 MB blob 100 MB.
 */
const SLICE = 1 << 15;

/** The smallest buffer writeRowInChunks streams through: room for the largest piece it writes at once (a text slice, 3 bytes a unit). */
export const MIN_CHUNK = 4 * SLICE;

function needsEscape(s: string): boolean {
  if (s.length < SCAN_NATIVE_FROM) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c <= BACKSLASH && (c === BACKSLASH || c === TAB || c === NEWLINE || c === CR)) return true;
    }
    return false;
  }
  return s.includes('\n') || s.includes('\\') || s.includes('\t') || s.includes('\r');
}

/**
 * `s` escaped. Each replaceAll is one native pass; measured 5 to 20 times
 * faster than building the escaped string a character at a time (a rope of
 * one piece per character, flattened again to be written).
 */
function escapeText(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n').replaceAll('\r', '\\r');
}

/** How many characters of `s` COPY escapes (each then takes one byte more). */
function escapeCount(s: string): number {
  let n = 0;
  for (const c of ESCAPED) for (let i = s.indexOf(c); i >= 0; i = s.indexOf(c, i + 1)) n++;
  return n;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

export type StringWrite = (this: Buffer, text: string, offset: number) => number;

/**
 * Buffer's own UTF-8 writer, without the argument handling of `buf.write`:
 * measured 4x faster than joining the row's strings and encoding them, and
 * far faster than `buf.write` per value. It is not documented, so it is
 * looked up once and `buf.write` stands in where it is missing. A lone
 * surrogate becomes U+FFFD (EF BF BD).
 */
export const utf8Write: StringWrite =
  (Buffer.prototype as unknown as { utf8Write?: StringWrite }).utf8Write
  ?? function (this: Buffer, text: string, offset: number): number {
    return this.write(text, offset, 'utf8');
  };

/** The same for hex digits, which are ASCII: a plain byte copy. */
const latin1Write: StringWrite =
  (Buffer.prototype as unknown as { latin1Write?: StringWrite }).latin1Write
  ?? function (this: Buffer, text: string, offset: number): number {
    return this.write(text, offset, 'latin1');
  };

/**
 * A batch's COPY payload, each value encoded once, as UTF-8, straight into
 * one growing Buffer. Measured alternatives were all slower on the benchmark
 * source: one concatenated string per batch (ropes, then flattened and
 * re-encoded: the collector took 16 of 36 s), a string per row, and a joined
 * list of pieces per chunk. A huge value is never copied whole on the way
 * (escaped and printed as hex a slice at a time), so a 50 MB value costs its
 * encoded bytes here and nothing more.
 */
export class CopyBuffer {
  #buf: Buffer;
  #len = 0;

  /**
   * `sizeHint`: the bytes expected. Room never written is never touched, so
   * costs no memory. `reuse`, when at least that large, is written into
   * instead of a new buffer (a payload the main thread has sent and handed back).
   */
  constructor(sizeHint = 1 << 16, reuse?: Buffer) {
    const size = Math.max(1024, sizeHint);
    this.#buf = reuse !== undefined && reuse.length >= size ? reuse : Buffer.allocUnsafeSlow(size);
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

  #byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = b;
  }

  #text(s: string): void {
    const escaped = needsEscape(s);
    // utf8Write stops silently at the end of the buffer: make room first. The
    // worst case (3 bytes per UTF-16 unit, an escape's 2 included) needs no
    // look at the string; where it does not fit, the exact size, so a huge
    // value does not reserve three times its size.
    if (this.#len + s.length * 3 > this.#buf.length)
      this.#ensure(Buffer.byteLength(s, 'utf8') + (escaped ? escapeCount(s) : 0));
    if (!escaped) this.#len += utf8Write.call(this.#buf, s, this.#len);
    else if (s.length <= SLICE) this.#len += utf8Write.call(this.#buf, escapeText(s), this.#len);
    else this.#escapedSlices(s);
  }

  /**
   * A long text escaped a slice at a time (a slice is a view of `s`). No
   * slice ends between the two halves of a surrogate pair, so the bytes are
   * those of the whole string: a pair its 4 bytes, a lone surrogate U+FFFD.
   */
  #escapedSlices(s: string): void {
    for (let at = 0; at < s.length;) {
      let end = Math.min(s.length, at + SLICE);
      if (end < s.length && isHighSurrogate(s.charCodeAt(end - 1))) end--;
      this.#len += utf8Write.call(this.#buf, escapeText(s.slice(at, end)), this.#len);
      at = end;
    }
  }

  /** bytea's `\\x`, then the hex digits of each piece: a value's bytes whole, or a huge one's slices. */
  #bytea(pieces: Iterable<Buffer>): void {
    this.#ensure(3);
    const buf = this.#buf;
    buf[this.#len++] = BACKSLASH;
    buf[this.#len++] = BACKSLASH;
    buf[this.#len++] = 120; // x
    for (const v of pieces) {
      this.#ensure(2 * v.length);
      for (let at = 0; at < v.length; at += SLICE)
        this.#len += latin1Write.call(this.#buf, v.toString('hex', at, Math.min(v.length, at + SLICE)), this.#len);
    }
  }

  /** Appends one row; `extra` values (plain text, never NULL) follow the row's columns. */
  writeRow(values: readonly TargetValue[], ...extra: string[]): void {
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.#byte(TAB);
      const v = values[i];
      if (v === null || v === undefined) {
        this.#ensure(2);
        this.#buf[this.#len++] = BACKSLASH;
        this.#buf[this.#len++] = 78; // N
      } else if (typeof v === 'string') this.#text(v);
      else if (typeof v === 'number' || typeof v === 'bigint') this.#text(valueText(v));
      else if (Buffer.isBuffer(v)) this.#bytea([v]);
      // A huge value, read from the file a slice at a time: the bytes writing it whole would give.
      else if (v.sliced === 'text') for (const slice of v.source.textSlices()) this.#text(slice);
      else this.#bytea(v.source.byteSlices());
    }
    for (const e of extra) {
      this.#byte(TAB);
      this.#text(e);
    }
    this.#byte(NEWLINE);
  }

  /**
   * Appends one row like writeRow, but never grows the buffer: whenever the
   * next piece would not fit, the bytes so far are yielded (see take) and the
   * row continues in a fresh buffer. A value larger than the buffer is thus
   * split across chunks, a slice at a time, so a 50 MB value streams through
   * a buffer of a few MiB (src/pipeline/shared/prepare-batch.ts). The bytes
   * are those writeRow writes: no slice ends inside a surrogate pair.
   */
  *writeRowInChunks(values: readonly TargetValue[], ...extra: string[]): Generator<Buffer, void, undefined> {
    if (this.#buf.length < MIN_CHUNK) throw new RangeError(`a chunked CopyBuffer needs at least ${MIN_CHUNK} bytes`);
    for (let i = 0; i < values.length; i++) {
      if (i > 0) yield* this.#separator(TAB);
      const v = values[i];
      if (v === null || v === undefined) {
        if (this.#len + 2 > this.#buf.length) yield this.take();
        this.#buf[this.#len++] = BACKSLASH;
        this.#buf[this.#len++] = 78; // N
      } else if (typeof v === 'string') yield* this.#textInChunks(v);
      else if (typeof v === 'number' || typeof v === 'bigint') yield* this.#textInChunks(valueText(v));
      else if (Buffer.isBuffer(v)) yield* this.#byteaInChunks([v]);
      else if (v.sliced === 'text') for (const slice of v.source.textSlices()) yield* this.#textInChunks(slice);
      else yield* this.#byteaInChunks(v.source.byteSlices());
    }
    for (const e of extra) {
      yield* this.#separator(TAB);
      yield* this.#textInChunks(e);
    }
    yield* this.#separator(NEWLINE);
  }

  *#separator(b: number): Generator<Buffer, void, undefined> {
    if (this.#len + 1 > this.#buf.length) yield this.take();
    this.#buf[this.#len++] = b;
  }

  /** A slice of at most SLICE units takes at most 3 bytes a unit, escaped or not (an escape is 2 bytes, a pair 4). */
  *#textInChunks(s: string): Generator<Buffer, void, undefined> {
    const escaped = needsEscape(s);
    for (let at = 0; at < s.length;) {
      let end = Math.min(s.length, at + SLICE);
      if (end < s.length && isHighSurrogate(s.charCodeAt(end - 1))) end--;
      if (this.#len + 3 * (end - at) > this.#buf.length) yield this.take();
      const piece = at === 0 && end === s.length ? s : s.slice(at, end);
      this.#len += utf8Write.call(this.#buf, escaped ? escapeText(piece) : piece, this.#len);
      at = end;
    }
  }

  *#byteaInChunks(pieces: Iterable<Buffer>): Generator<Buffer, void, undefined> {
    if (this.#len + 3 > this.#buf.length) yield this.take();
    this.#buf[this.#len++] = BACKSLASH;
    this.#buf[this.#len++] = BACKSLASH;
    this.#buf[this.#len++] = 120; // x
    for (const v of pieces) yield* this.#hexInChunks(v);
  }

  *#hexInChunks(v: Buffer): Generator<Buffer, void, undefined> {
    for (let at = 0; at < v.length; at += SLICE) {
      const end = Math.min(v.length, at + SLICE);
      if (this.#len + 2 * (end - at) > this.#buf.length) yield this.take();
      this.#len += latin1Write.call(this.#buf, v.toString('hex', at, end), this.#len);
    }
  }

  /**
   * The bytes so far, handed over: the caller owns them from now on (a COPY
   * stream may still be writing them to the socket), and writing continues
   * in a fresh buffer of the same size. Its memory is its own, outside
   * Buffer's shared pool, so it can be transferred to another thread.
   */
  take(): Buffer {
    const bytes = this.#buf.subarray(0, this.#len);
    this.#buf = Buffer.allocUnsafeSlow(this.#buf.length);
    this.#len = 0;
    return bytes;
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
