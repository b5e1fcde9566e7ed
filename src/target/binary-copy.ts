import { createHash, hash, type Hash } from 'node:crypto';
import type { ConverterName } from '../mapping/schema.js';
import { jsonbText } from '../tables/pg-text.js';
import { parseTimestamp, timeZoneOffsetFn } from '../tables/timestamp.js';
import { isSliced, valueText, type SlicedValue, type TargetValue } from '../tables/value.js';
import { utf8Write } from './copy-encode.js';

/*
 * COPY … FROM STDIN (FORMAT binary): a header, then per row a 16-bit field
 * count and per field a 32-bit length (-1 for NULL) and the bytes each type's
 * receive function reads, then a 16-bit -1 (PostgreSQL docs, COPY, "Binary
 * Format"). The server parses no text for a number, a double or an instant,
 * and the tool prints none: a double goes as its 8 bytes, exact by
 * construction. The same bytes, per row, are what the load's row digest
 * hashes and what the server rebuilds from the stored row with each type's
 * send function for verify (binaryRowHashExpr, ARCHITECTURE.md, "What verify
 * proves").
 */

/** A column type that binary COPY carries here, each with its send function's bytes. */
export type BinaryKind = 'int4' | 'int8' | 'float8' | 'bool' | 'text' | 'bytea' | 'jsonb' | 'timestamptz';

/** A field of the binary row hash: a column sent, or a column the target fills and verify checks (always true). */
export type HashField = BinaryKind | 'check';

/**
 * How a target column of type `type` (format_type's spelling) goes in binary,
 * given the converter that fills it; null where only the text form is safe.
 * Each pair is one whose converter output has exactly one binary form, the
 * one the type's receive function stores and its send function gives back:
 * an integer converter's bigint in an int4 or int8, a float's double in a
 * float8, an instant in the timestamp converter's UTC text as microseconds,
 * checked JSON as jsonb's own text. A column the mapping fills with a
 * constant where the source lacks it (`whenMissing`) takes the kind only if
 * that constant encodes in it. float4, numeric, smallint, varchar and the
 * rest keep text COPY.
 */
export function binaryKind(
  type: string,
  converter: ConverterName,
  whenMissing: string | number | boolean | null | undefined,
): BinaryKind | null {
  const kind = kindOf(type.toLowerCase(), converter);
  if (kind === null || whenMissing === undefined || whenMissing === null) return kind;
  try {
    // The constant reaches the writer as the mapping's literal in text (src/tables/row-converter.ts).
    const literal = typeof whenMissing === 'boolean' ? (whenMissing ? 't' : 'f') : String(whenMissing);
    new BinaryRowHasher([0], [kind]).hash([literal]);
    return kind;
  } catch {
    return null;
  }
}

/** Per target type, its kind and the converters whose output it carries exactly. */
const KINDS: Readonly<Record<string, { kind: BinaryKind; from: (c: ConverterName) => boolean }>> = {
  integer: { kind: 'int4', from: (c) => c === 'integer' },
  bigint: { kind: 'int8', from: (c) => c === 'integer' },
  'double precision': { kind: 'float8', from: (c) => c === 'float' },
  boolean: { kind: 'bool', from: (c) => c === 'boolean' },
  // Bytes in a text column go as their `\x` hex text, which only the text form writes.
  text: { kind: 'text', from: (c) => c !== 'blob' },
  bytea: { kind: 'bytea', from: (c) => c === 'blob' },
  jsonb: { kind: 'jsonb', from: (c) => c === 'json' },
  'timestamp with time zone': { kind: 'timestamptz', from: (c) => c === 'timestamp' },
};

function kindOf(type: string, converter: ConverterName): BinaryKind | null {
  const k = Object.hasOwn(KINDS, type) ? KINDS[type] : undefined;
  return k !== undefined && k.from(converter) ? k.kind : null;
}

/** PGCOPY\n\377\r\n\0, flags 0, no header extension. */
const HEADER = Buffer.from('5047434f50590aff0d0a00' + '00000000' + '00000000', 'hex');
const TRAILER = Buffer.from('ffff', 'hex');
/** A checked column's field: length 1, boolsend(true). */
const CHECK_FIELD = Buffer.from('0000000101', 'hex');
const NULL_LENGTH = -1;
const TWO_32 = 4294967296;
/** Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
const PG_EPOCH_DAYS = 10957;

const UTC = timeZoneOffsetFn('UTC');

/** Thrown for a value that has no binary form of its column's kind: a bug or a mapping constant of the wrong type. */
export class BinaryValueError extends Error {}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/** canonicalInstant's result, in two variables rather than an object: four instants a row on the benchmark. */
let instantSeconds = 0;
let instantMicros = 0;

/**
 * The timestamp converter's text, `YYYY-MM-DD HH:MM:SS.ffffff+00` (UTC, src/tables/timestamp.ts),
 * as seconds and microseconds since 2000-01-01 UTC (instantSeconds, instantMicros); false for any other shape.
 */
function canonicalInstant(s: string): boolean {
  const dash = s.indexOf('-', 1);
  const n = s.length;
  if (
    dash < 4
    || n !== dash + 25
    || s.charCodeAt(dash + 3) !== 45 // -
    || s.charCodeAt(dash + 6) !== 32 // space
    || s.charCodeAt(dash + 9) !== 58 // :
    || s.charCodeAt(dash + 12) !== 58
    || s.charCodeAt(dash + 15) !== 46 // .
    || s.charCodeAt(dash + 22) !== 43 // +
    || s.charCodeAt(dash + 23) !== 48
    || s.charCodeAt(dash + 24) !== 48
  )
    return false;
  const year = digits(s, 0, dash);
  const month = digits(s, dash + 1, dash + 3);
  const day = digits(s, dash + 4, dash + 6);
  const hour = digits(s, dash + 7, dash + 9);
  const minute = digits(s, dash + 10, dash + 12);
  const second = digits(s, dash + 13, dash + 15);
  const micros = digits(s, dash + 16, dash + 22);
  if (Number.isNaN(year + month + day + hour + minute + second + micros)) return false;
  const days = daysFromCivil(year, month, day) - PG_EPOCH_DAYS;
  instantSeconds = days * 86400 + hour * 3600 + minute * 60 + second;
  instantMicros = micros;
  return true;
}

/** Where a field is written: a growable buffer (BinaryCopyBuffer, the row hasher's scratch). */
abstract class FieldWriter {
  protected buf: Buffer;
  protected len = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  protected ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.len + extra));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  protected int32(n: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(n, this.len);
    this.len += 4;
  }

  protected bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  /** A length-prefixed UTF-8 text, with `prefix` bytes (jsonb's version) before it. */
  protected text(s: string, prefix: number): void {
    const at = this.len;
    if (at + 5 + s.length * 3 > this.buf.length) this.ensure(5 + Buffer.byteLength(s, 'utf8'));
    let n = 0;
    if (prefix >= 0) {
      this.buf[at + 4] = prefix;
      n = 1;
    }
    n += utf8Write.call(this.buf, s, at + 4 + n);
    this.buf.writeInt32BE(n, at);
    this.len = at + 4 + n;
  }

  /** Room for a field of `size` bytes, its length written: returns where its bytes go. */
  protected fixed(size: number): number {
    this.ensure(4 + size);
    this.buf.writeInt32BE(size, this.len);
    this.len += 4 + size;
    return this.len - size;
  }

  /** An int64 from the seconds and microseconds of an instant, exact beyond 2^53 microseconds too. */
  protected instant(seconds: number, micros: number): void {
    const at = this.fixed(8);
    const buf = this.buf;
    if (Math.abs(seconds) < 9e9) {
      const t = seconds * 1e6 + micros;
      const hi = Math.floor(t / TWO_32);
      buf.writeInt32BE(hi, at);
      buf.writeUInt32BE(t - hi * TWO_32, at + 4);
    } else buf.writeBigInt64BE(BigInt(seconds) * 1000000n + BigInt(micros), at);
  }

  /** One field: its length and its bytes, as the kind's receive function reads them. */
  protected field(v: TargetValue | undefined, kind: BinaryKind): void {
    if (v === null || v === undefined) return this.int32(NULL_LENGTH);
    if (isSliced(v)) return this.#sliced(v);
    switch (kind) {
      case 'text':
        if (Buffer.isBuffer(v)) throw new BinaryValueError('text column holds bytes');
        return this.text(typeof v === 'string' ? v : valueText(v), -1);
      case 'jsonb': {
        if (typeof v !== 'string') throw new BinaryValueError(`jsonb column holds a ${typeof v}`);
        // jsonb_send gives back jsonb's own text, not the text loaded. jsonbText
        // first asks what the converter's check printed for the same text (its memo).
        return this.text(jsonbText(v), 1);
      }
      case 'float8': {
        const d = typeof v === 'number' ? v : strictNumber(v);
        const at = this.fixed(8);
        this.buf.writeDoubleBE(d, at);
        return;
      }
      case 'int8': {
        const n = typeof v === 'bigint' ? v : strictInteger(v);
        const at = this.fixed(8);
        this.buf.writeBigInt64BE(n, at);
        return;
      }
      case 'int4': {
        const n = Number(typeof v === 'bigint' ? v : strictInteger(v));
        if (n < -2147483648 || n > 2147483647) throw new BinaryValueError(`${n} is out of an integer column's range`);
        const at = this.fixed(4);
        this.buf.writeInt32BE(n, at);
        return;
      }
      case 'bool': {
        if (v !== 't' && v !== 'f') throw new BinaryValueError(`${String(v)} is not a boolean`);
        const at = this.fixed(1);
        this.buf[at] = v === 't' ? 1 : 0;
        return;
      }
      case 'timestamptz': {
        const s = typeof v === 'string' ? v : '';
        if (!canonicalInstant(s)) {
          // A mapping's constant, in any shape the timestamp converter reads.
          const p = parseTimestamp(s, UTC);
          if (!p.ok || !canonicalInstant(p.value))
            throw new BinaryValueError(`${JSON.stringify(String(v))} is not a timestamp`);
        }
        return this.instant(instantSeconds, instantMicros);
      }
      case 'bytea':
        if (!Buffer.isBuffer(v)) throw new BinaryValueError(`bytea column holds a ${typeof v}`);
        this.int32(v.length);
        return this.bytes(v);
    }
  }

  /** A huge value, read from the file a slice at a time (rare here: a batch with one streams in text, prepare-batch). */
  #sliced(v: SlicedValue): void {
    const at = this.len;
    this.int32(v.source.bytes);
    if (v.sliced === 'bytes') for (const slice of v.source.byteSlices()) this.bytes(slice);
    else
      for (const slice of v.source.textSlices()) {
        this.ensure(slice.length * 3);
        this.len += utf8Write.call(this.buf, slice, this.len);
      }
    if (this.len - at - 4 !== v.source.bytes) throw new BinaryValueError('a huge value changed size while it was read');
  }
}

function strictNumber(v: TargetValue): number {
  const d = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isNaN(d) && v !== 'NaN') throw new BinaryValueError(`${JSON.stringify(String(v))} is not a number`);
  return d;
}

function strictInteger(v: TargetValue): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v)) return BigInt(v);
  throw new BinaryValueError(`${JSON.stringify(String(v))} is not an integer`);
}

/** The first 8 bytes of a sha256, as 16 hex characters: rowHash's size (src/tables/canonical.ts). */
function short(h: string): string {
  return h.slice(0, 16);
}

/**
 * A batch's payload in binary COPY format, each row written once into one
 * growing buffer (as CopyBuffer does for text), and its row hash taken over
 * the bytes just written.
 */
export class BinaryCopyBuffer extends FieldWriter {
  readonly #kinds: readonly BinaryKind[];
  readonly #checks: number;

  /** `kinds`: per column of the COPY; `checks`: the checked columns the row hash ends with. */
  constructor(kinds: readonly BinaryKind[], checks: number, sizeHint = 1 << 16, reuse?: Buffer) {
    const size = Math.max(1024, sizeHint);
    super(reuse !== undefined && reuse.length >= size ? reuse : Buffer.allocUnsafeSlow(size));
    this.#kinds = kinds;
    this.#checks = checks;
    this.bytes(HEADER);
  }

  get length(): number {
    return this.len;
  }

  /** Appends one row; returns its row hash (binaryRowHash's). */
  writeRow(values: readonly TargetValue[]): string {
    const kinds = this.#kinds;
    const start = this.len;
    this.ensure(2);
    this.buf.writeInt16BE(kinds.length, start);
    this.len += 2;
    for (let i = 0; i < kinds.length; i++) this.field(values[i], kinds[i] as BinaryKind);
    if (this.#checks === 0) return short(hash('sha256', this.buf.subarray(start + 2, this.len), 'hex'));
    // The checked columns' fields, written past the row and hashed with it, but not kept.
    const end = this.len;
    for (let c = 0; c < this.#checks; c++) this.bytes(CHECK_FIELD);
    const h = short(hash('sha256', this.buf.subarray(start + 2, this.len), 'hex'));
    this.len = end;
    return h;
  }

  /** The payload, trailer included: a view of the buffer. */
  finish(): Buffer {
    this.bytes(TRAILER);
    return this.buf.subarray(0, this.len);
  }
}

/**
 * The row hash of the binary form (16 hex characters): sha256 over the
 * fields of the compared columns as binary COPY sends them (length, then the
 * bytes; -1 for NULL), a checked column as a true boolean. The server builds
 * the same bytes from the stored row (binaryRowHashExpr).
 */
export class BinaryRowHasher extends FieldWriter {
  readonly #idx: readonly number[];
  readonly #fields: readonly HashField[];

  /** `idx[j]`: where compared column j is in the converted row (-1 for a check); `fields[j]`: its kind. */
  constructor(idx: readonly number[], fields: readonly HashField[]) {
    super(Buffer.allocUnsafeSlow(1 << 12));
    this.#idx = idx;
    this.#fields = fields;
  }

  hash(values: readonly TargetValue[]): string {
    this.len = 0;
    for (let j = 0; j < this.#idx.length; j++) {
      const f = this.#fields[j] as HashField;
      if (f === 'check') this.bytes(CHECK_FIELD);
      else {
        const v = values[this.#idx[j] as number];
        if (isSliced(v)) return this.#streamed(values);
        this.field(v, f);
      }
    }
    const h = short(hash('sha256', this.buf.subarray(0, this.len), 'hex'));
    // A row with a big value leaves a big scratch: not kept for the rows after it.
    if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafeSlow(1 << 12);
    return h;
  }

  /** A row with a huge value: each field into the hash as it is written, the huge one a slice at a time. */
  #streamed(values: readonly TargetValue[]): string {
    const h: Hash = createHash('sha256');
    for (let j = 0; j < this.#idx.length; j++) {
      const f = this.#fields[j] as HashField;
      const v = f === 'check' ? null : values[this.#idx[j] as number];
      this.len = 0;
      if (f === 'check') this.bytes(CHECK_FIELD);
      else if (isSliced(v)) {
        this.int32(v.source.bytes);
        h.update(this.buf.subarray(0, 4));
        if (v.sliced === 'bytes') for (const slice of v.source.byteSlices()) h.update(slice);
        else for (const slice of v.source.textSlices()) h.update(slice, 'utf8');
        continue;
      } else this.field(v, f);
      h.update(this.buf.subarray(0, this.len));
    }
    this.buf = Buffer.allocUnsafeSlow(1 << 12);
    return short(h.digest('hex'));
  }
}

/**
 * Per kind, the SQL of a field's bytes from the stored column `c` (quoted):
 * its length, then what the type's send function gives. textsend gives the
 * client encoding's bytes (UTF-8); octet_length counts the server's, which is
 * why the binary form asks a UTF8 database.
 */
const FIELD_SQL: Readonly<Record<BinaryKind, (c: string) => string>> = {
  int4: (c) => `'\\x00000004'::bytea || int4send(${c})`,
  int8: (c) => `'\\x00000008'::bytea || int8send(${c})`,
  float8: (c) => `'\\x00000008'::bytea || float8send(${c})`,
  timestamptz: (c) => `'\\x00000008'::bytea || timestamptz_send(${c})`,
  bool: (c) => `'\\x00000001'::bytea || boolsend(${c})`,
  text: (c) => `int4send(octet_length(${c})) || textsend(${c})`,
  bytea: (c) => `int4send(octet_length(${c})) || ${c}`,
  // Printed twice, for its length and its bytes: a LATERAL subquery is pulled up and prints twice all the same (docs/performance.md).
  jsonb: (c) => `int4send(octet_length(jsonb_send(${c}))) || jsonb_send(${c})`,
};

/**
 * The SQL for the binary row hash of a stored row: `columns[j]` the quoted
 * column (or, for a check, the SQL of the checked condition), `fields[j]` its kind.
 */
export function binaryRowHashExpr(columns: readonly string[], fields: readonly HashField[]): string {
  const parts = columns.map((c, j) => {
    const f = fields[j] as HashField;
    return f === 'check'
      ? `CASE WHEN ${c} THEN '\\x0000000101'::bytea ELSE '\\x0000000100'::bytea END`
      : `coalesce(${FIELD_SQL[f](c)}, '\\xffffffff'::bytea)`;
  });
  const bytes = parts.length === 0 ? `''::bytea` : parts.join(' || ');
  return `encode(substring(sha256(${bytes}) from 1 for 8), 'hex')`;
}
