import type Database from 'better-sqlite3';
import { quoteSqliteIdent } from './quote.js';
import { hugeAwareSelect, takeHugeValues, textIsUtf8 } from './huge-value.js';
import type { SourceValue } from '../tables/value.js';
import { rowidOf } from './rowid.js';

export interface Page {
  /** Each row is `[rowid, ...columns]`. */
  readonly rows: SourceValue[][];
  readonly firstRowid: bigint;
  readonly lastRowid: bigint;
  /** Approximate bytes of the values read. */
  readonly bytes: number;
}

/** Where a reader starts and stops, and which columns it reads in slices when huge. */
export interface ReaderOptions {
  /** Resume after this rowid (exclusive). */
  readonly afterRowid?: bigint;
  /** Stop after this rowid (inclusive): a slice of the table, for readers working side by side. */
  readonly upToRowid?: bigint;
  /**
   * Columns (indexes into `columns`) whose values from HUGE_FROM bytes on
   * come as HugeSourceValue, read in slices when needed
   * (src/source/huge-value.ts): those whose converter passes text or bytes
   * on as they are (CompiledTable.sliceable).
   */
  readonly sliceable?: readonly number[];
}

export interface ReadOptions extends ReaderOptions {
  readonly maxRows: number;
  /** A page ends early once its values pass this many bytes, so multi-MB JSON values keep memory bounded. */
  readonly maxBytes: number;
}

function sizeOf(v: SourceValue): number {
  if (typeof v === 'string') return v.length;
  if (Buffer.isBuffer(v)) return v.length;
  return 8;
}

/**
 * Reads a table in rowid order, a page at a time, by keyset (`rowid > last`).
 * Between pages the connection is free for other statements and the position
 * is a plain number a checkpoint can store. Each page is as large as its
 * caller asks, so a caller can read a batch in a few small pages and convert
 * each before the next (src/pipeline/shared/prepare-batch.ts).
 */
export class PageReader {
  readonly #db: Database.Database;
  readonly #table: string;
  readonly #columns: readonly string[];
  readonly #sliceable: readonly number[];
  readonly #first: Database.Statement | null;
  readonly #next: Database.Statement;
  readonly #upTo: bigint;
  #after: bigint | null;
  #done = false;

  constructor(db: Database.Database, table: string, columns: readonly string[], opts: ReaderOptions = {}) {
    // A UTF-16 file's text is not its UTF-8 bytes: its values are read whole.
    const sliceable = opts.sliceable !== undefined && opts.sliceable.length > 0 && textIsUtf8(db) ? opts.sliceable : [];
    const cols = sliceable.length > 0 ? hugeAwareSelect(columns, sliceable) : columns.map(quoteSqliteIdent).join(', ');
    const rowid = rowidOf(db, table);
    const select = (lowerBound: boolean): Database.Statement =>
      db
        .prepare(
          `SELECT ${rowid}, ${cols.length > 0 ? cols : 'NULL'} FROM ${quoteSqliteIdent(table)} WHERE ${lowerBound ? `${rowid} > ? AND ` : ''}${rowid} <= ? ORDER BY ${rowid} LIMIT ?`,
        )
        .raw(true)
        .safeIntegers(true);
    this.#db = db;
    this.#table = table;
    this.#columns = columns;
    this.#sliceable = sliceable;
    // The first page has no lower bound: no "after" value lies below rowid -2^63.
    this.#first = opts.afterRowid === undefined ? select(false) : null;
    this.#next = select(true);
    this.#after = opts.afterRowid ?? null;
    this.#upTo = opts.upToRowid ?? 2n ** 63n - 1n;
  }

  /** The next page: at most `maxRows` rows, ended early once its values pass `maxBytes` bytes; null after the last row. */
  read(maxRows: number, maxBytes: number): Page | null {
    if (this.#done) return null;
    const rows: SourceValue[][] = [];
    let bytes = 0;
    const page = (
      this.#after === null
        ? (this.#first as Database.Statement).iterate(this.#upTo, maxRows)
        : this.#next.iterate(this.#after, this.#upTo, maxRows)
    ) as IterableIterator<SourceValue[]>;
    for (const row of page) {
      rows.push(row);
      if (this.#sliceable.length > 0)
        bytes += takeHugeValues(this.#db, this.#table, this.#columns, this.#sliceable, row);
      for (let i = 1; i < row.length; i++) bytes += sizeOf(row[i] as SourceValue);
      if (bytes >= maxBytes) break;
    }
    if (rows.length === 0) {
      this.#done = true;
      return null;
    }
    const last = (rows[rows.length - 1] as SourceValue[])[0] as bigint;
    this.#after = last;
    return { rows, firstRowid: (rows[0] as SourceValue[])[0] as bigint, lastRowid: last, bytes };
  }
}

/** Reads a table in pages of `maxRows` rows or (about) `maxBytes` bytes (PageReader). */
export function* readPages(
  db: Database.Database,
  table: string,
  columns: readonly string[],
  opts: ReadOptions,
): Generator<Page> {
  const reader = new PageReader(db, table, columns, opts);
  for (
    let page = reader.read(opts.maxRows, opts.maxBytes);
    page !== null;
    page = reader.read(opts.maxRows, opts.maxBytes)
  )
    yield page;
}

/** A reader for one text value's raw bytes, on its own connection (the page reader may hold the other). */
export function rawTextReader(db: Database.Database, table: string): (column: string, rowid: bigint) => Buffer | null {
  const cache = new Map<string, Database.Statement>();
  return (column, rowid) => {
    let stmt = cache.get(column);
    if (stmt === undefined) {
      stmt = db
        .prepare(
          `SELECT CAST(${quoteSqliteIdent(column)} AS BLOB) FROM ${quoteSqliteIdent(table)} WHERE ${rowidOf(db, table)} = ?`,
        )
        .pluck();
      cache.set(column, stmt);
    }
    const v = stmt.get(rowid) as Buffer | null | undefined;
    return v ?? null;
  };
}

export interface RowidSlice {
  /** Exclusive; null: from the first row. */
  readonly after: bigint | null;
  /** Inclusive; null: to the last row. */
  readonly upTo: bigint | null;
}

/**
 * `parts` rowid ranges that together hold every row of the table once, of
 * about equal width, for readers working side by side.
 */
export function rowidSlices(db: Database.Database, table: string, parts: number): RowidSlice[] {
  const [min, max] = db
    .prepare(`SELECT min(${rowidOf(db, table)}), max(${rowidOf(db, table)}) FROM ${quoteSqliteIdent(table)}`)
    .raw(true)
    .safeIntegers(true)
    .get() as [bigint | null, bigint | null];
  const lo = min ?? 0n;
  const span = (max ?? 0n) - lo + 1n;
  // Never below lo, so every bound is a rowid SQLite can take.
  const bound = (k: number): bigint => {
    const b = lo - 1n + (span * BigInt(k)) / BigInt(parts);
    return b < lo ? lo : b;
  };
  return Array.from({ length: parts }, (_, k) => ({
    after: k === 0 ? null : bound(k),
    upTo: k === parts - 1 ? null : bound(k + 1),
  }));
}
