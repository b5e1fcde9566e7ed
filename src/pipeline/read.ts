import type Database from 'better-sqlite3';
import { quoteSqliteIdent } from '../discover/inventory.js';
import type { SourceValue } from '../tables/value.js';

export interface Page {
  /** Each row is `[rowid, ...columns]`. */
  readonly rows: SourceValue[][];
  readonly firstRowid: bigint;
  readonly lastRowid: bigint;
  /** Approximate bytes of the values read. */
  readonly bytes: number;
}

export interface ReadOptions {
  /** Resume after this rowid (exclusive). */
  readonly afterRowid?: bigint;
  readonly maxRows: number;
  /** A page ends early once its values pass this many bytes, so multi-MB JSON values keep memory bounded. */
  readonly maxBytes: number;
}

function sizeOf(v: SourceValue): number {
  if (typeof v === 'string') return v.length;
  if (v !== null && typeof v === 'object') return v.length;
  return 8;
}

/**
 * Reads a table in rowid order, one page at a time, by keyset (`rowid > last`).
 * Between pages the connection is free for other statements, the position is a
 * plain number a checkpoint can store, and no page holds more than `maxRows`
 * rows or (about) `maxBytes` bytes.
 */
export function* readPages(db: Database.Database, table: string, columns: readonly string[], opts: ReadOptions): Generator<Page> {
  const cols = columns.map(quoteSqliteIdent).join(', ');
  const stmt = db
    .prepare(`SELECT rowid, ${cols.length > 0 ? cols : 'NULL'} FROM ${quoteSqliteIdent(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .raw(true)
    .safeIntegers(true);
  let after = opts.afterRowid ?? -(2n ** 63n);
  for (;;) {
    const rows: SourceValue[][] = [];
    let bytes = 0;
    for (const row of stmt.iterate(after, opts.maxRows) as IterableIterator<SourceValue[]>) {
      rows.push(row);
      for (let i = 1; i < row.length; i++) bytes += sizeOf(row[i] as SourceValue);
      if (bytes >= opts.maxBytes) break;
    }
    if (rows.length === 0) return;
    const first = (rows[0] as SourceValue[])[0] as bigint;
    const last = (rows[rows.length - 1] as SourceValue[])[0] as bigint;
    yield { rows, firstRowid: first, lastRowid: last, bytes };
    after = last;
  }
}

/** A reader for one text value's raw bytes, on its own connection (the page reader may hold the other). */
export function rawTextReader(db: Database.Database, table: string): (column: string, rowid: bigint) => Buffer | null {
  const cache = new Map<string, Database.Statement>();
  return (column, rowid) => {
    let stmt = cache.get(column);
    if (stmt === undefined) {
      stmt = db.prepare(`SELECT CAST(${quoteSqliteIdent(column)} AS BLOB) FROM ${quoteSqliteIdent(table)} WHERE rowid = ?`).pluck();
      cache.set(column, stmt);
    }
    const v = stmt.get(rowid) as Buffer | null | undefined;
    return v ?? null;
  };
}
