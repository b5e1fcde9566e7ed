import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TableSpec } from '../../../../src/mapping/schema.js';
import { SameKeys } from '../../../../src/pipeline/plan/same-keys.js';
import { autoTable } from '../../../../src/source/auto-mapping.js';
import { inventory } from '../../../../src/source/inventory.js';
import { rawTextReader, readPages } from '../../../../src/source/read.js';
import { compileTable } from '../../../../src/tables/row-converter.js';
import { timeZoneOffsetFn } from '../../../../src/tables/timestamp.js';
import { tempDir } from '../../../helpers/files.js';

/**
 * plan counts the rows whose key an earlier row of the same table has once
 * converted, as migrate settles them by the conflict policy: per group of rows
 * sharing a key, all but the first. Checked on tables SQLite allows.
 */

type Row = readonly unknown[];

/** The keys plan counts as repeats in `rows` of a table made by `ddl`, the mapping's key being `key` (the SQLite one if omitted). */
function repeatedKeys(
  ddl: string,
  rows: readonly Row[],
  opts: { key?: string[]; type?: TableSpec['columns'][number]['type'] } = {},
): string[] | null {
  const db = new Database(join(tempDir('same-keys'), 't.db'));
  db.exec(ddl);
  // A Buffer goes in as TEXT holding those bytes (invalid UTF-8, as an application can write it).
  for (const r of rows)
    db.prepare(`INSERT INTO t VALUES (${r.map((v) => (Buffer.isBuffer(v) ? 'CAST(? AS TEXT)' : '?')).join(', ')})`).run(
      ...r,
    );
  const obj = inventory(db).find((o) => o.name === 't');
  if (obj === undefined) throw new Error('no table t');
  const auto = autoTable(obj);
  const spec: TableSpec = {
    ...auto,
    key: opts.key ?? auto.key,
    // A mapping key of its own is a natural key beside the primary one, which may hold NULLs.
    primaryKey: auto.primaryKey ?? auto.key,
    columns: auto.columns.map((c) => (opts.type !== undefined && c.name === 'k' ? { ...c, type: opts.type } : c)),
  };
  const compiled = compileTable(
    spec,
    obj.columns.map((c) => c.name),
    { offsetOf: timeZoneOffsetFn('UTC'), fetchRaw: rawTextReader(db, 't') },
  );
  const same = SameKeys.of(db, obj, compiled);
  if (same === null) return null;
  const out: string[] = [];
  try {
    for (const page of readPages(db, 't', compiled.selectColumns, { maxRows: 2, maxBytes: 1 << 20, sliceable: [] })) {
      for (const raw of page.rows) {
        const o = compiled.convertRow(raw);
        if (o.reject === null && same.repeated(raw, o)) out.push(compiled.keyOf(raw, o.values));
      }
    }
  } finally {
    same.close();
    db.close();
  }
  return out;
}

describe('SameKeys', () => {
  it('a text key with invalid UTF-8 or a NUL byte meets the stored U+FFFD, before or after it, and each other', () => {
    const rows: Row[] = [
      [Buffer.from('a\xff', 'latin1'), 1],
      ['b', 2],
      ['a\uFFFD', 3],
      ['c\u0000', 4],
      [Buffer.from('c\xfe', 'latin1'), 5],
      ['d', 6],
    ];
    expect(repeatedKeys('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)', rows)).toEqual(['a\uFFFD', 'c\uFFFD']);
  });

  it('the integer 1 and the text 1 in an untyped column loading as text', () => {
    expect(
      repeatedKeys('CREATE TABLE t (k PRIMARY KEY, n INTEGER)', [
        [1, 1],
        ['1', 2],
        ['x', 3],
        [2, 4],
      ]),
    ).toEqual(['1']);
  });

  it('a key SQLite does not keep unique: every repeat, as stored or not', () => {
    expect(
      repeatedKeys(
        'CREATE TABLE t (k TEXT, n INTEGER)',
        [
          ['a', 1],
          ['b', 2],
          ['a', 3],
          ['a', 4],
          ['c\u0000', 5],
          ['c\uFFFD', 6],
        ],
        {
          key: ['k'],
        },
      ),
    ).toEqual(['a', 'a', 'c\uFFFD']);
  });

  it('two spellings of one instant in a timestamp key', () => {
    expect(
      repeatedKeys('CREATE TABLE t (k TIMESTAMP PRIMARY KEY, n INTEGER)', [
        ['2024-01-02 03:04:05', 1],
        ['2024-01-02T03:04:05Z', 2],
        ['2024-01-02 03:04:06', 3],
      ]),
    ).toEqual(['2024-01-02 03:04:05.000000+00']);
  });

  it('nothing for distinct keys, nor for a NULL part; no check at all for an INTEGER PRIMARY KEY', () => {
    expect(
      repeatedKeys('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)', [
        ['a', 1],
        ['b', 2],
        ['A', 3],
      ]),
    ).toEqual([]);
    expect(
      repeatedKeys(
        'CREATE TABLE t (k TEXT UNIQUE, n INTEGER)',
        [
          [null, 1],
          [null, 2],
          ['a', 3],
          // A text that reads like the first row's handle: no key of PostgreSQL's.
          ['rowid:1', 4],
        ],
        { key: ['k'] },
      ),
    ).toEqual([]);
    expect(
      repeatedKeys('CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER)', [
        [1, 1],
        [2, 2],
      ]),
    ).toBeNull();
  });
});
