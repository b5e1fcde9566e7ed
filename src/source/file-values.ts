import type Database from 'better-sqlite3';
import { hasWalContent } from './source-hash.js';
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/**
 * The bytes of column `column` of row `rowid` of `table`, read from the file
 * behind `db` in slices of `slice` bytes; null where the file cannot vouch
 * for them (FileValues below), and the caller reads them through SQLite. `expect`
 * is what SQLite said of the value: its storage class and size. The file is
 * open while the slices are read, and closed once they are done.
 */
export function fileSlices(
  db: Database.Database,
  place: { table: string; column: string; rowid: bigint },
  expect: { storage: 'text' | 'blob'; bytes: number },
  slice: number,
): Generator<Buffer, void, undefined> | null {
  const file = FileValues.open(db);
  if (file === null) return null;
  try {
    const payload = file.locate(db, place, expect);
    if (payload !== null) return file.slices(payload, slice);
  } catch {
    // A file the reader cannot follow: SQLite reads it.
  }
  file.close();
  return null;
}

/**
 * One value's bytes read straight from the SQLite file, following the
 * format (https://www.sqlite.org/fileformat2.html): the table's b-tree down
 * to the row, the row's record header to the column, then the value's
 * overflow pages, a slice at a time.
 *
 * Why not SQLite: better-sqlite3 has no incremental blob I/O, and SQLite
 * assembles the whole value for every `substr` it is asked for. A 50 MB
 * value read in 8 MiB slices was assembled seven times per pass over it, each
 * time 50 MB freshly mapped and faulted in: the benchmark's two-row table of
 * 50 MB values spent about 20 s of system time a run on it (docs/performance.md).
 *
 * Only where SQLite and the file cannot disagree: the file has no `-wal`
 * content (SQLite would read newer pages from there), and it has not changed
 * between the start of the value and its end (its size and modification time).
 * Anything the reader does not expect (a size or storage class that is not
 * what SQLite said, a page number out of the file) makes it decline, and the
 * caller reads through SQLite as before (src/source/huge-value.ts).
 */
class FileValues {
  readonly #path: string;
  readonly #fd: number;
  readonly #pageSize: number;
  /** The usable bytes of a page (the page size less the reserved bytes at its end). */
  readonly #usable: number;
  readonly #pages: number;
  readonly #stat: Stats;
  readonly #page: Buffer;

  private constructor(path: string, fd: number, pageSize: number, reserved: number, stat: Stats) {
    this.#path = path;
    this.#fd = fd;
    this.#pageSize = pageSize;
    this.#usable = pageSize - reserved;
    this.#pages = Math.floor(stat.size / pageSize);
    this.#stat = stat;
    this.#page = Buffer.alloc(pageSize);
  }

  /** A reader for the file behind `db`, or null where SQLite alone can be trusted to read it. */
  static open(db: Database.Database): FileValues | null {
    const path = fileOf(db.name);
    if (path === null || hasWalContent(path)) return null;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    const header = Buffer.alloc(100);
    const stat = fstatSync(fd);
    if (readSync(fd, header, 0, 100, 0) !== 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') {
      closeSync(fd);
      return null;
    }
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    // Text encoding 1 is UTF-8: a UTF-16 file's text bytes are not what the converters read.
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0 || header.readUInt32BE(56) !== 1) {
      closeSync(fd);
      return null;
    }
    return new FileValues(path, fd, pageSize, header[20] as number, stat);
  }

  close(): void {
    closeSync(this.#fd);
  }

  /** The payload of the row, at the column, when it is the value SQLite described; null otherwise. */
  locate(
    db: Database.Database,
    place: { table: string; column: string; rowid: bigint },
    expect: { storage: 'text' | 'blob'; bytes: number },
  ): { payload: Payload; offset: number; bytes: number } | null {
    const storageIndex = storageIndexOf(db, place.table, place.column);
    const root = rootPageOf(db, place.table);
    if (storageIndex === null || root === null) return null;
    const cell = this.#findCell(root, place.rowid);
    if (cell === null) return null;
    const payload = new Payload(this, cell);
    const at = payload.column(storageIndex);
    if (at === null || at.storage !== expect.storage || at.bytes !== expect.bytes) return null;
    return { payload, offset: at.offset, bytes: at.bytes };
  }

  /** The located value in slices; the file is closed after the last (or when the reading stops). */
  *slices(at: { payload: Payload; offset: number; bytes: number }, slice: number): Generator<Buffer, void, undefined> {
    try {
      for (let done = 0; done < at.bytes; done += slice) {
        const out = at.payload.read(at.offset + done, Math.min(slice, at.bytes - done));
        if (this.#changed()) throw new Error(`${this.#path} changed while a value was read from it`);
        yield out;
      }
    } finally {
      this.close();
    }
  }

  /** Page `n` (1-based) into `into` (the reader's own buffer by default); null past the file's end. */
  page(n: number, into: Buffer = this.#page): Buffer | null {
    if (n < 1 || n > this.#pages) return null;
    return readSync(this.#fd, into, 0, this.#pageSize, (n - 1) * this.#pageSize) === this.#pageSize ? into : null;
  }

  get pageSize(): number {
    return this.#pageSize;
  }

  get usable(): number {
    return this.#usable;
  }

  #changed(): boolean {
    const now = statSync(this.#path, { throwIfNoEntry: false });
    return now === undefined || now.size !== this.#stat.size || now.mtimeMs !== this.#stat.mtimeMs;
  }

  /** The row's cell, found from the table's root page down; null where the b-tree holds no such row or looks unlike the format. */
  #findCell(root: number, rowid: bigint): Cell | null {
    let pageNo = root;
    for (let depth = 0; depth < 64; depth++) {
      const page = this.page(pageNo);
      if (page === null) return null;
      const h = pageNo === 1 ? 100 : 0;
      const type = page[h];
      const cells = page.readUInt16BE(h + 3);
      if (type === 0x05) {
        // Interior: the first cell whose key is at least the rowid holds it in its left child.
        let next = page.readUInt32BE(h + 8);
        for (let i = 0; i < cells; i++) {
          const at = page.readUInt16BE(h + 12 + 2 * i);
          if (BigInt.asIntN(64, varint(page, at + 4).value) >= rowid) {
            next = page.readUInt32BE(at);
            break;
          }
        }
        pageNo = next;
        continue;
      }
      if (type !== 0x0d) return null;
      for (let i = 0; i < cells; i++) {
        const at = page.readUInt16BE(h + 8 + 2 * i);
        const size = varint(page, at);
        const key = varint(page, at + size.length);
        if (BigInt.asIntN(64, key.value) !== rowid) continue;
        const start = at + size.length + key.length;
        const total = Number(size.value);
        const local = localSize(total, this.#usable);
        const local0 = page.subarray(start, start + local);
        if (local0.length !== local) return null;
        return {
          total,
          local: Buffer.from(local0),
          overflow: local < total ? page.readUInt32BE(start + local) : 0,
        };
      }
      return null;
    }
    return null;
  }
}

interface Cell {
  /** The payload's size. */
  readonly total: number;
  /** The payload's first bytes, kept on the leaf page (a copy). */
  readonly local: Buffer;
  /** The first overflow page, 0 when none. */
  readonly overflow: number;
}

/**
 * A row's payload, read at any offset: the local part, then the overflow
 * chain (each page: the next page's number, then usable - 4 bytes). Reads
 * go forward; the chain is followed from where the last read stopped.
 */
class Payload {
  readonly #file: FileValues;
  readonly #cell: Cell;
  readonly #perPage: number;
  /** The overflow page covering payload offsets [#pageStart, #pageStart + #perPage), once loaded into #page. */
  #pageNo: number;
  #pageStart: number;
  /** The current overflow page, or null until it is read. */
  #page: Buffer | null = null;
  readonly #buffer: Buffer;
  #pagesRead = 0;

  constructor(file: FileValues, cell: Cell) {
    this.#file = file;
    this.#cell = cell;
    this.#perPage = file.usable - 4;
    this.#pageNo = cell.overflow;
    this.#pageStart = cell.local.length;
    this.#buffer = Buffer.alloc(file.pageSize);
  }

  /** The column's storage class, size and offset in the payload; null if the record does not hold it. */
  column(index: number): { storage: 'text' | 'blob' | 'other'; bytes: number; offset: number } | null {
    // The header's size is in its first bytes, always on the leaf page (which
    // keeps far more than 9 of them), so reading it leaves the overflow chain where it was.
    const headerSize = varint(this.read(0, Math.min(this.#cell.total, 9)), 0);
    const headerEnd = Number(headerSize.value);
    if (headerEnd > this.#cell.total || headerEnd < headerSize.length) return null;
    const header = this.read(0, headerEnd);
    let at = headerSize.length;
    let offset = headerEnd;
    for (let i = 0; at < headerEnd; i++) {
      const t = varint(header, at);
      at += t.length;
      const type = Number(t.value);
      const bytes = type >= 12 ? Math.floor((type - 12) / 2) : (SERIAL_SIZES[type] ?? 0);
      if (i === index) {
        const storage = type >= 13 && type % 2 === 1 ? 'text' : type >= 12 ? 'blob' : 'other';
        return offset + bytes <= this.#cell.total ? { storage, bytes, offset } : null;
      }
      offset += bytes;
    }
    // A record written before the column was added holds fewer columns.
    return null;
  }

  /** `length` bytes from payload offset `offset`, at or after where the last read from the overflow pages ended. */
  read(offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    const local = this.#cell.local;
    let filled = offset < local.length ? local.copy(out, 0, offset, Math.min(local.length, offset + length)) : 0;
    while (filled < length) {
      const at = offset + filled;
      if (at < this.#pageStart) throw new Error('a value was read backwards');
      if (this.#page === null) this.#page = this.#load();
      if (at >= this.#pageStart + this.#perPage) {
        this.#pageNo = this.#page.readUInt32BE(0);
        this.#pageStart += this.#perPage;
        this.#page = null;
        continue;
      }
      const from = at - this.#pageStart;
      const n = Math.min(this.#perPage - from, length - filled);
      filled += this.#page.copy(out, filled, 4 + from, 4 + from + n);
    }
    return out;
  }

  #load(): Buffer {
    // A chain longer than the payload needs is a damaged file, not a longer value.
    if (++this.#pagesRead > Math.ceil(this.#cell.total / this.#perPage) + 1)
      throw damaged('the overflow chain is longer than its value');
    const page = this.#file.page(this.#pageNo, this.#buffer);
    if (page === null) throw damaged('the overflow chain ends before its value');
    return page;
  }
}

/**
 * A chain that breaks off is a damaged file, and says so as SQLite would
 * (its code), so the load stops with SOURCE_CORRUPT (src/pipeline/shared/integrity.ts)
 * rather than as an unexpected failure.
 */
function damaged(message: string): Error {
  return Object.assign(new Error(`database disk image is malformed: ${message}`), { code: 'SQLITE_CORRUPT' });
}

/** The body bytes of serial types 0 to 11 (the file format, "Record Format"). */
const SERIAL_SIZES = [0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0];

function rootPageOf(db: Database.Database, table: string): number | null {
  const r = db
    .prepare("SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?")
    .pluck()
    .safeIntegers(false)
    .get(table);
  return typeof r === 'number' && r > 0 ? r : null;
}

/**
 * Where the column sits in the stored record: its place among the declared
 * columns, less the virtual generated ones before it, which are not stored.
 * null for a virtual column itself.
 */
function storageIndexOf(db: Database.Database, table: string, column: string): number | null {
  const cols = db.prepare('SELECT name, hidden FROM pragma_table_xinfo(?)').safeIntegers(false).all(table) as {
    name: string;
    hidden: number;
  }[];
  let n = 0;
  for (const c of cols) {
    if (c.name === column) return c.hidden === 0 || c.hidden === 3 ? n : null;
    if (c.hidden !== 2) n++;
  }
  return null;
}

/** The payload bytes a table leaf keeps on its own page (the file format, "B-tree Pages"). */
function localSize(total: number, usable: number): number {
  const max = usable - 35;
  if (total <= max) return total;
  const min = Math.floor(((usable - 12) * 32) / 255) - 23;
  const k = min + ((total - min) % (usable - 4));
  return k <= max ? k : min;
}

/** A big-endian varint of 1 to 9 bytes at `at`. */
function varint(b: Buffer, at: number): { value: bigint; length: number } {
  let value = 0n;
  for (let i = 0; i < 8; i++) {
    const byte = b[at + i] ?? 0;
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (byte < 0x80) return { value, length: i + 1 };
  }
  return { value: (value << 8n) | BigInt(b[at + 8] ?? 0), length: 9 };
}

/** The file path of a connection's name: a path, or a `file:` URI as src/source/snapshot.ts writes one. */
function fileOf(name: string): string | null {
  if (name === '' || name === ':memory:') return null;
  if (!name.startsWith('file:')) return name;
  const q = name.indexOf('?');
  try {
    return decodeURIComponent(name.slice(5, q === -1 ? undefined : q));
  } catch {
    return null;
  }
}
