import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readPages, rowidSlices } from '../../../src/source/read.js';

/** Every rowid the readers of `parts` slices get, in the order they get them. */
function readInSlices(db: Database.Database, parts: number): bigint[] {
  const out: bigint[] = [];
  for (const slice of rowidSlices(db, 't', parts)) {
    for (const page of readPages(db, 't', ['v'], {
      maxRows: 7,
      maxBytes: 1 << 20,
      afterRowid: slice.after ?? undefined,
      upToRowid: slice.upTo ?? undefined,
    })) {
      for (const row of page.rows) out.push(row[0] as bigint);
    }
  }
  return out;
}

describe('rowidSlices', () => {
  const layouts: Record<string, bigint[]> = {
    'contiguous rowids': Array.from({ length: 100 }, (_, i) => BigInt(i + 1)),
    'gaps, negative and extreme rowids': [
      -(2n ** 63n),
      -(2n ** 63n) + 1n,
      -(2n ** 62n),
      -5n,
      -1n,
      0n,
      3n,
      4n,
      1_000_000n,
      2n ** 62n,
      2n ** 63n - 1n,
    ],
    'one row': [42n],
    'no rows': [],
  };
  for (const [name, rowids] of Object.entries(layouts)) {
    it(`hands every row to exactly one reader: ${name}`, () => {
      const db = new Database(':memory:');
      db.exec('CREATE TABLE t (v TEXT)');
      const insert = db.prepare('INSERT INTO t (rowid, v) VALUES (?, ?)');
      for (const r of rowids) insert.run(r, `row ${r}`);
      for (const parts of [1, 2, 3, 4, 7, 150]) {
        expect(readInSlices(db, parts), `${parts} parts`).toEqual(rowids);
      }
      db.close();
    });
  }
});
