import type { FindingKind } from '../findings/finding.js';

/** A value as better-sqlite3 returns it with safeIntegers: the storage class is the JS type. */
export type SourceValue = null | bigint | number | string | Buffer;

/**
 * A value ready for PostgreSQL: its text form (as COPY's text format and
 * parameters take it) or, for bytea, the bytes.
 */
export type TargetValue = null | string | Buffer;

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
  return `blob of ${v.length} bytes`;
}
