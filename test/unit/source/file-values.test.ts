import Database from 'better-sqlite3';
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSlices } from '../../../src/source/file-values.js';
import { randomBytes, randomText, rng } from '../../helpers/random.js';

/**
 * fileSlices reads a value's bytes from the SQLite file itself: every value
 * it gives must be byte for byte what SQLite gives, whatever the page size,
 * the b-tree's depth, the record's layout; and where it cannot be sure, it
 * must give nothing, so that SQLite reads the value instead.
 */

const dir = mkdtempSync(join(tmpdir(), 'am-file-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Stored = { storage: 'text' | 'blob'; bytes: number };

function described(db: Database.Database, table: string, column: string, rowid: bigint): Stored | null {
  const row = db
    .prepare(`SELECT typeof("${column}") AS t, octet_length("${column}") AS n FROM "${table}" WHERE rowid = ?`)
    .safeIntegers(false)
    .get(rowid) as { t: string; n: number | null } | undefined;
  if (row === undefined || (row.t !== 'text' && row.t !== 'blob')) return null;
  return { storage: row.t, bytes: row.n ?? 0 };
}

function sqliteBytes(db: Database.Database, table: string, column: string, rowid: bigint): Buffer {
  return db.prepare(`SELECT CAST("${column}" AS BLOB) FROM "${table}" WHERE rowid = ?`).pluck().get(rowid) as Buffer;
}

function fromFile(db: Database.Database, table: string, column: string, rowid: bigint, slice: number): Buffer | null {
  const stored = described(db, table, column, rowid);
  if (stored === null) return null;
  const slices = fileSlices(db, { table, column, rowid }, stored, slice);
  if (slices === null) return null;
  const parts = [...slices];
  expect(parts.every((p, i) => i === parts.length - 1 || p.length === slice)).toBe(true);
  return Buffer.concat(parts);
}

/** A file of the given page size, with values from a few bytes to several hundred pages, in a b-tree several levels deep. */
function makeFile(name: string, pageSize: number, autoVacuum: boolean): string {
  const path = join(dir, name);
  const db = new Database(path);
  db.pragma(`page_size = ${pageSize}`);
  if (autoVacuum) db.pragma('auto_vacuum = FULL');
  db.exec(`CREATE TABLE t (
    id INTEGER PRIMARY KEY,
    a TEXT,
    v TEXT GENERATED ALWAYS AS (substr(a, 1, 3)) VIRTUAL,
    body TEXT,
    s TEXT GENERATED ALWAYS AS (upper(substr(a, 1, 2))) STORED,
    data BLOB,
    ${Array.from({ length: 40 }, (_, i) => `c${i} INTEGER`).join(', ')}
  )`);
  const r = rng(pageSize);
  const insert = db.prepare('INSERT INTO t (id, a, body, data, c7) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 1200; i++) {
      // Negative and gappy rowids; most values small, some spanning many overflow pages.
      const id = BigInt((i - 600) * 7);
      const big = i % 59 === 0;
      const size = big ? 20_000 + Math.floor(r() * 200_000) : Math.floor(r() * Math.min(3 * pageSize, 5000));
      insert.run(id, `row ${i}`, randomText(r, size), big || i % 3 === 0 ? randomBytes(r, size) : null, i);
    }
  })();
  db.close();
  return path;
}

describe('fileSlices', () => {
  for (const [pageSize, autoVacuum] of [
    [512, false],
    [4096, true],
    [65536, false],
  ] as const) {
    it(`gives SQLite's bytes for every text and blob, pages of ${pageSize} bytes${autoVacuum ? ', auto-vacuum' : ''}`, () => {
      const db = new Database(makeFile(`p${pageSize}.db`, pageSize, autoVacuum), { readonly: true });
      db.defaultSafeIntegers(true);
      try {
        const rowids = db.prepare('SELECT rowid FROM t ORDER BY rowid').pluck().all() as bigint[];
        let read = 0;
        for (const rowid of rowids) {
          for (const column of ['a', 'body', 'data', 's']) {
            const got = fromFile(db, 't', column, rowid, 1000 + (Number(rowid) & 0xff));
            if (described(db, 't', column, rowid) === null) {
              expect(got).toBeNull();
              continue;
            }
            expect(got?.equals(sqliteBytes(db, 't', column, rowid))).toBe(true);
            read++;
          }
        }
        expect(read).toBeGreaterThan(2400);
        // A virtual generated column is not in the record: SQLite computes it.
        const stored = described(db, 't', 'v', rowids[0] as bigint) as Stored;
        expect(fileSlices(db, { table: 't', column: 'v', rowid: rowids[0] as bigint }, stored, 1000)).toBeNull();
      } finally {
        db.close();
      }
    });
  }

  it('gives nothing where it cannot vouch for the bytes: another size, a column older rows lack, a WAL, memory', () => {
    const path = join(dir, 'declines.db');
    const db = new Database(path);
    db.defaultSafeIntegers(true);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO t VALUES (1, 'hello')");
    db.exec("ALTER TABLE t ADD COLUMN later TEXT DEFAULT 'x'");
    const place = { table: 't', column: 'body', rowid: 1n };
    expect(fileSlices(db, place, { storage: 'text', bytes: 5 }, 100)?.next().value?.toString()).toBe('hello');
    expect(fileSlices(db, place, { storage: 'text', bytes: 6 }, 100)).toBeNull();
    expect(fileSlices(db, place, { storage: 'blob', bytes: 5 }, 100)).toBeNull();
    expect(fileSlices(db, { ...place, rowid: 2n }, { storage: 'text', bytes: 5 }, 100)).toBeNull();
    // The record of row 1 was written before `later` existed: SQLite gives its default.
    expect(fileSlices(db, { ...place, column: 'later' }, { storage: 'text', bytes: 1 }, 100)).toBeNull();
    db.pragma('journal_mode = WAL');
    db.exec("UPDATE t SET body = 'world'");
    // The new value is in the -wal: the file's pages are older than what SQLite reads.
    expect(fileSlices(db, place, { storage: 'text', bytes: 5 }, 100)).toBeNull();
    db.close();
    const memory = new Database(':memory:');
    memory.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO t VALUES (1, 'hello')");
    expect(fileSlices(memory, place, { storage: 'text', bytes: 5 }, 100)).toBeNull();
    memory.close();
  });

  it('stops with an error when the file changes while a value is read', () => {
    const path = join(dir, 'changing.db');
    const db = new Database(path);
    db.defaultSafeIntegers(true);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
    db.prepare('INSERT INTO t VALUES (1, ?)').run(Buffer.alloc(100_000, 7));
    const slices = fileSlices(
      db,
      { table: 't', column: 'body', rowid: 1n },
      { storage: 'blob', bytes: 100_000 },
      10_000,
    );
    expect(slices?.next().value?.length).toBe(10_000);
    appendFileSync(path, Buffer.alloc(4096));
    expect(() => slices?.next()).toThrow(/changed while a value was read/);
    db.close();
  });

  it("stops with SQLite's code for a damaged file when a value's overflow chain breaks off", () => {
    const path = join(dir, 'broken-chain.db');
    const db = new Database(path);
    db.pragma('page_size = 4096');
    db.defaultSafeIntegers(true);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
    db.prepare('INSERT INTO t VALUES (1, ?)').run(Buffer.alloc(100_000, 7));
    // The value's overflow pages follow the table's leaf page (page 2): zero one halfway along.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096), 0, 4096, 4096 * 14);
    closeSync(fd);
    const slices = fileSlices(
      db,
      { table: 't', column: 'body', rowid: 1n },
      { storage: 'blob', bytes: 100_000 },
      10_000,
    );
    expect(slices).not.toBeNull();
    expect(() => [...(slices as Generator<Buffer>)]).toThrow(expect.objectContaining({ code: 'SQLITE_CORRUPT' }));
    db.close();
  });

  it('gives nothing for a file that is not SQLite', () => {
    const fake = { name: join(dir, 'plain.txt') } as Database.Database;
    writeFileSync(fake.name, 'not a database at all, and long enough to have a header. '.repeat(4));
    expect(fileSlices(fake, { table: 't', column: 'body', rowid: 1n }, { storage: 'text', bytes: 5 }, 100)).toBeNull();
  });
});
