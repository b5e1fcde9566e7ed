import type { FindingKind } from '../findings/finding.js';

/**
 * A TEXT or BLOB value too big to read whole (src/source/huge-value.ts): it
 * is read from the file a slice at a time, each time it is needed, so the
 * load never holds it whole.
 */
export interface HugeSourceValue {
  readonly huge: true;
  /** Its storage class in SQLite. */
  readonly storage: 'text' | 'blob';
  /** Its size in bytes (a text's in UTF-8). */
  readonly bytes: number;
  /** Its bytes, a slice at a time. */
  byteSlices(): Generator<Buffer, void, undefined>;
  /** Its text (storage text), a slice at a time: together, the string read whole would give. */
  textSlices(): Generator<string, void, undefined>;
  /** The value read whole, as better-sqlite3 returns it. */
  whole(): string | Buffer;
  /** Its bytes read whole (a text's UTF-8 bytes as stored). */
  wholeBytes(): Buffer;
}

/**
 * A value as better-sqlite3 returns it with safeIntegers: the storage class is
 * the JS type. A huge TEXT or BLOB value, in a column whose converter can pass
 * it on in slices, is a HugeSourceValue.
 */
export type SourceValue = null | bigint | number | string | Buffer | HugeSourceValue;

/**
 * A huge value converted and still in the file: its text, or its bytes (for
 * bytea), read in slices as it is encoded and hashed.
 */
export interface SlicedValue {
  readonly sliced: 'text' | 'bytes';
  readonly source: HugeSourceValue;
}

/**
 * A value ready for PostgreSQL: its text form (as COPY's text format and
 * parameters take it) or, for bytea, the bytes; a huge one, sliced. A double
 * (`float`) and an integer (`integer`) stay a number and a bigint: binary COPY
 * sends them as they are (src/target/binary-copy.ts), and only a text path
 * prints them (valueText).
 */
export type TargetValue = null | string | number | bigint | Buffer | SlicedValue;

/**
 * The text of a double or an integer, as COPY's text format and parameters
 * take it: String's shortest digits, and a negative zero as `-0`, which
 * float8in reads back as itself (String prints it `0`).
 */
export function valueText(v: number | bigint): string {
  return v === 0 && typeof v === 'number' && 1 / v < 0 ? '-0' : String(v);
}

/**
 * The row's numbers replaced by their text, in place: where a row is both
 * hashed in the text form and encoded as COPY text, each is then printed
 * once instead of twice.
 */
export function printNumbers(values: TargetValue[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' || typeof v === 'bigint') values[i] = valueText(v);
  }
}

export function isHuge(v: SourceValue): v is HugeSourceValue {
  return v !== null && typeof v === 'object' && !Buffer.isBuffer(v);
}

export function isSliced(v: TargetValue | undefined): v is SlicedValue {
  return v !== null && v !== undefined && typeof v === 'object' && !Buffer.isBuffer(v);
}

/** A sliced value read whole: for the rare use that needs it so (a comparison, a reject's original). */
export function wholeValue(v: SlicedValue): string | Buffer {
  if (v.sliced === 'bytes') return v.source.wholeBytes();
  return v.source.whole();
}

/** Returned by a converter when the row cannot be loaded; the reason is in the sink. */
export const REJECT: unique symbol = Symbol('reject');
export type Converted = TargetValue | typeof REJECT;

/** Collects what converting one row found: repairs (with the original) and at most one reject. */
export interface IssueSink {
  repair(kind: FindingKind, message: string, original: SourceValue): void;
  reject(kind: FindingKind, message: string): typeof REJECT;
}

/**
 * Reads a text value's bytes as SQLite stores them. better-sqlite3 decodes TEXT
 * through V8, which turns invalid UTF-8 into U+FFFD without a word, so a value
 * holding U+FFFD is re-read raw to tell a real U+FFFD from a repaired byte.
 */
export type RawTextFetcher = (column: string, rowid: bigint) => Buffer | null;

export function describeValue(v: SourceValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'bigint') return `integer ${v}`;
  if (typeof v === 'number') return `real ${v}`;
  if (typeof v === 'string') return `text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (isHuge(v)) return `${v.storage} of ${v.bytes} bytes`;
  return `blob of ${v.length} bytes`;
}
