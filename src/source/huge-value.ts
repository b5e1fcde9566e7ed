import type Database from 'better-sqlite3';
import { quoteSqliteIdent } from './quote.js';
import type { HugeSourceValue } from '../tables/value.js';
import { collectGarbage } from '../util/collect-garbage.js';
import { fileSlices } from './file-values.js';
import { rowidOf } from './rowid.js';

/**
 * Values from this many bytes on are read a slice at a time. Read whole, a
 * 50 MB value was held twice at once, by SQLite (which assembles it from its
 * overflow pages) and by the JavaScript copy made of it, and a row of two
 * such values took the load from 120 to over 400 MiB (docs/performance.md,
 * "Huge values").
 */
export const HUGE_FROM = 16 * 1024 * 1024;

/**
 * The bytes each slice reads. SQLite assembles the whole value again for
 * every `substr` (measured 30 to 50 ms for 50 MB), so a slice is large
 * enough to keep those calls few, and small enough that it and its decoded
 * text stay far below the value itself: 4 MiB slices took the benchmark's
 * 50 MB values twice as long, 16 MiB ones kept 50 MiB more at the peak.
 */
export const HUGE_SLICE = 8 * 1024 * 1024;

/**
 * The bytes each slice reads where the value is read from the file itself
 * (src/source/file-values.ts): nothing is assembled, so a slice can be small.
 */
const FILE_SLICE = 1024 * 1024;

/**
 * The SELECT list of a page read for columns that may hold huge values
 * (`sliceable`, indexes into `columns`): each such column reads as NULL when
 * its value passes HUGE_FROM bytes, and one last expression says which
 * values of the row those were, with their storage class and size (NULL for
 * the usual row without any). `octet_length` reads the size from the record
 * header without loading the value; measured at no cost on the benchmark.
 */
export function hugeAwareSelect(columns: readonly string[], sliceable: readonly number[]): string {
  const size = (c: string): string => `octet_length(${quoteSqliteIdent(c)}) > ${HUGE_FROM}`;
  const list = columns.map((c, i) =>
    sliceable.includes(i) ? `CASE WHEN ${size(c)} THEN NULL ELSE ${quoteSqliteIdent(c)} END` : quoteSqliteIdent(c),
  );
  const named = sliceable.map((i) => columns[i] as string);
  const which = named.map(
    (c) =>
      `CASE WHEN ${size(c)} THEN typeof(${quoteSqliteIdent(c)}) || ' ' || octet_length(${quoteSqliteIdent(c)}) END`,
  );
  list.push(`CASE WHEN ${named.map(size).join(' OR ')} THEN json_array(${which.join(', ')}) END`);
  return list.join(', ');
}

/**
 * Replaces, in a row read with hugeAwareSelect (`[rowid, ...columns, which]`),
 * the NULL of each huge value by the value to read in slices, and drops the
 * last element. Returns the bytes of the huge values.
 */
export function takeHugeValues(
  db: Database.Database,
  table: string,
  columns: readonly string[],
  sliceable: readonly number[],
  row: unknown[],
): number {
  const which = row.pop() as string | null;
  if (which === null) return 0;
  const marks = JSON.parse(which) as (string | null)[];
  let bytes = 0;
  marks.forEach((mark, k) => {
    if (mark === null) return;
    const [storage, size] = mark.split(' ');
    const i = sliceable[k] as number;
    const value = new SlicedSourceValue(
      db,
      table,
      columns[i] as string,
      row[0] as bigint,
      storage as 'text' | 'blob',
      Number(size),
    );
    row[i + 1] = value;
    bytes += value.bytes;
  });
  return bytes;
}

/** Whether values of this file's text can be read as UTF-8 bytes (a UTF-16 file's cannot). */
export function textIsUtf8(db: Database.Database): boolean {
  return String(db.pragma('encoding', { simple: true })).toUpperCase() === 'UTF-8';
}

/** Statements per connection, table and column, so a page of huge values prepares each once. */
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function statement(db: Database.Database, sql: string): Database.Statement {
  let byDb = statements.get(db);
  if (byDb === undefined) {
    byDb = new Map();
    statements.set(db, byDb);
  }
  let stmt = byDb.get(sql);
  if (stmt === undefined) {
    stmt = db.prepare(sql).pluck();
    byDb.set(sql, stmt);
  }
  return stmt;
}

/**
 * One huge value, read from the file when it is needed, a slice at a time:
 * the connection is free again once a page is read (src/source/read.ts).
 */
class SlicedSourceValue implements HugeSourceValue {
  readonly huge = true;
  readonly storage: 'text' | 'blob';
  readonly bytes: number;
  readonly #db: Database.Database;
  readonly #table: string;
  readonly #columnName: string;
  readonly #from: string;
  readonly #column: string;
  readonly #rowid: bigint;

  constructor(
    db: Database.Database,
    table: string,
    column: string,
    rowid: bigint,
    storage: 'text' | 'blob',
    bytes: number,
  ) {
    this.storage = storage;
    this.bytes = bytes;
    this.#db = db;
    this.#table = table;
    this.#columnName = column;
    this.#from = `FROM ${quoteSqliteIdent(table)} WHERE ${rowidOf(db, table)} = ?`;
    this.#column = quoteSqliteIdent(column);
    this.#rowid = rowid;
  }

  *byteSlices(): Generator<Buffer, void, undefined> {
    const fromFile = fileSlices(
      this.#db,
      { table: this.#table, column: this.#columnName, rowid: this.#rowid },
      { storage: this.storage, bytes: this.bytes },
      FILE_SLICE,
    );
    if (fromFile !== null) {
      yield* fromFile;
      return;
    }
    const value = this.storage === 'blob' ? this.#column : `CAST(${this.#column} AS BLOB)`;
    const read = statement(this.#db, `SELECT substr(${value}, ?, ?) ${this.#from}`);
    for (let at = 0; at < this.bytes; at += HUGE_SLICE) {
      // The slice before, and what was made of it, are garbage by now: freed
      // before SQLite assembles the value again, they do not pile up on it.
      if (at > 0) collectGarbage();
      const slice = read.get(at + 1, HUGE_SLICE, this.#rowid) as Buffer | null | undefined;
      if (!Buffer.isBuffer(slice))
        throw new Error(`the value of ${this.#column} at rowid ${this.#rowid} changed while it was read`);
      yield slice;
    }
  }

  /**
   * Decoded as a stream: a character cut between two slices is decoded
   * whole, so valid text gives the very string read whole would. Invalid
   * bytes give U+FFFD, as they do read whole, and the converters then read
   * the value whole (src/tables/converters.ts). A leading BOM is kept.
   */
  *textSlices(): Generator<string, void, undefined> {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    for (const slice of this.byteSlices()) yield decoder.decode(slice, { stream: true });
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  }

  whole(): string | Buffer {
    return statement(this.#db, `SELECT ${this.#column} ${this.#from}`).get(this.#rowid) as string | Buffer;
  }

  wholeBytes(): Buffer {
    return statement(this.#db, `SELECT CAST(${this.#column} AS BLOB) ${this.#from}`).get(this.#rowid) as Buffer;
  }
}
