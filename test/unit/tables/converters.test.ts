import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { TableSpec } from '../../../src/mapping/schema.js';
import { rawTextReader } from '../../../src/source/read.js';
import { compileTable } from '../../../src/tables/row-converter.js';
import { timeZoneOffsetFn } from '../../../src/tables/timestamp.js';
import type { SourceValue } from '../../../src/tables/value.js';
import { tableSpec } from '../../helpers/table-spec.js';

const spec = tableSpec({
  source: 't',
  key: ['id'],
  columns: [
    { name: 'id', type: 'text', nullable: false, targetOnly: false },
    { name: 'body', type: 'text', nullable: true, targetOnly: false },
    { name: 'score', type: 'double precision', nullable: true, targetOnly: false },
    { name: 'flag', type: 'boolean', nullable: true, targetOnly: false },
    { name: 'meta', type: 'jsonb', nullable: true, targetOnly: false },
    { name: 'at', type: 'timestamptz', nullable: true, targetOnly: false },
    { name: 'hash', type: 'text', convert: 'verbatim', nullable: true, targetOnly: false },
    { name: 'gone', type: 'boolean', nullable: true, targetOnly: false, whenMissing: false },
  ],
});

function table(rows: string): {
  db: Database.Database;
  convert: (id: string) => ReturnType<ReturnType<typeof compileTable>['convertRow']>;
} {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  db.exec(
    `CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT, score REAL, flag INTEGER, meta TEXT, at TEXT, hash TEXT); ${rows}`,
  );
  const compiled = compileTable(spec, ['id', 'body', 'score', 'flag', 'meta', 'at', 'hash'], {
    offsetOf: timeZoneOffsetFn('UTC'),
    fetchRaw: rawTextReader(db, 't'),
  });
  const stmt = db.prepare(`SELECT rowid, ${compiled.selectColumns.join(', ')} FROM t WHERE id IS ?`).raw(true);
  return { db, convert: (id) => compiled.convertRow(stmt.get(id) as SourceValue[]) };
}

describe('row conversion', () => {
  it('converts a clean row to PostgreSQL text forms (a double kept a number), filling a missing column', () => {
    const { convert } = table(
      `INSERT INTO t VALUES ('a', 'hello', 1523.456789012, 1, '{"k": 1}', '2026-01-15T10:23:45.123456', 'abc')`,
    );
    expect(convert('a')).toEqual({
      values: ['a', 'hello', 1523.456789012, 't', '{"k": 1}', '2026-01-15 10:23:45.123456+00', 'abc', 'f'],
      repairs: [],
      reject: null,
    });
  });

  it('repairs NUL bytes and records the original', () => {
    const { convert } = table(`INSERT INTO t (id, body) VALUES ('a', 'x' || char(0) || 'y')`);
    const out = convert('a');
    expect(out.reject).toBeNull();
    expect(out.values[1]).toBe('x\uFFFDy');
    expect(out.repairs).toEqual([
      { column: 'body', kind: 'nul_byte', message: expect.any(String) as string, original: 'x\0y' },
    ]);
  });

  it('tells invalid UTF-8 from a real U+FFFD by reading the raw bytes', () => {
    const { convert } = table(
      `INSERT INTO t (id, body) VALUES ('bad', CAST(x'48ff49' AS TEXT)), ('real', 'a' || char(65533))`,
    );
    const bad = convert('bad');
    expect(bad.repairs.map((r) => r.kind)).toEqual(['invalid_utf8']);
    expect(Buffer.isBuffer(bad.repairs[0]?.original)).toBe(true);
    expect((bad.repairs[0]?.original as Buffer).toString('hex')).toBe('48ff49');
    expect(convert('real').repairs).toEqual([]);
  });

  it('rejects rows a column cannot hold, naming the kind', () => {
    const { convert } = table(`
      INSERT INTO t (id, score) VALUES ('text-in-real', 'n/a');
      INSERT INTO t (id, flag) VALUES ('two', 2);
      INSERT INTO t (id, meta) VALUES ('badjson', '{"a": 1');
      INSERT INTO t (id, at) VALUES ('when', 'yesterday');
      INSERT INTO t (id, hash) VALUES ('nulhash', 'a' || char(0));
      INSERT INTO t (id, body) VALUES (NULL, 'no key');`);
    expect(convert('text-in-real').reject?.kind).toBe('type_mismatch');
    expect(convert('two').reject?.kind).toBe('type_mismatch');
    expect(convert('badjson').reject?.kind).toBe('json_invalid');
    expect(convert('when').reject?.kind).toBe('timestamp_unparseable');
    expect(convert('nulhash').reject?.kind).toBe('nul_byte');
    expect(convert(null as unknown as string).reject?.kind).toBe('null_key');
  });

  it('passes JSON on as it is written, and still rejects raw control characters in a flat object or list', () => {
    const { convert } = table(`
      INSERT INTO t (id, meta) VALUES ('obj', '{"b": [1, "x"], "a": true}'), ('list', '["claude", "gpt4"]');
      INSERT INTO t (id, meta) VALUES ('tab', '{"a": "x' || char(9) || 'y"}'), ('nl', '["x' || char(10) || '"]');
      INSERT INTO t (id, meta) VALUES ('key', '{"k' || char(1) || '": 1}');`);
    expect(convert('obj').values[4]).toBe('{"b": [1, "x"], "a": true}');
    expect(convert('list').values[4]).toBe('["claude", "gpt4"]');
    for (const id of ['tab', 'nl', 'key']) expect(convert(id).reject?.kind, id).toBe('json_invalid');
  });

  it('repairs non-finite JSON numbers and keeps an infinite REAL', () => {
    const { convert } = table(`INSERT INTO t (id, meta, score) VALUES ('a', '{"x": NaN}', 9e999)`);
    const out = convert('a');
    expect(out.values[4]).toBe('{"x": null}');
    expect(out.values[2]).toBe(Infinity);
    expect(out.repairs.map((r) => r.kind)).toEqual(['json_nonfinite']);
  });

  it('prints doubles so PostgreSQL reads back the same 8 bytes', () => {
    const { convert } = table(`INSERT INTO t (id, score) VALUES ('a', 0.1 + 0.2)`);
    expect(Number(convert('a').values[2])).toBe(0.1 + 0.2);
  });
});

describe("conversion for the application's tables", () => {
  const appSpec: TableSpec = {
    source: 'd',
    target: 'd',
    key: ['id'],
    unique: [],
    indexes: [],
    foreignKeys: [],
    triggers: [],
    conflict: { policy: 'keep-existing' },
    columns: [
      { name: 'id', type: 'text', nullable: false, targetOnly: false },
      { name: 'parent', type: 'text', nullable: true, targetOnly: false },
      { name: 'score', type: 'real', nullable: true, targetOnly: false },
      { name: 'n', type: 'integer', nullable: false, targetOnly: false },
      { name: 'data', type: 'jsonb', nullable: false, targetOnly: false },
      {
        name: 'reasoning',
        type: 'text',
        nullable: true,
        targetOnly: false,
        fromJson: { column: 'data', key: 'reasoning' },
        whenMissing: '',
      },
      {
        name: 'acknowledged',
        type: 'boolean',
        nullable: true,
        targetOnly: false,
        fromJson: { column: 'data', key: 'acknowledged' },
        whenMissing: false,
      },
      { name: 'search', type: 'tsvector', nullable: true, targetOnly: true },
    ],
  };

  function app(
    rows: string,
    missing: readonly string[] = [],
  ): (id: string) => ReturnType<ReturnType<typeof compileTable>['convertRow']> {
    const db = new Database(':memory:');
    db.defaultSafeIntegers(true);
    db.exec(`CREATE TABLE d (id TEXT PRIMARY KEY, parent TEXT, score REAL, n INTEGER, data TEXT); ${rows}`);
    const compiled = compileTable(appSpec, ['id', 'parent', 'score', 'n', 'data'], {
      offsetOf: timeZoneOffsetFn('UTC'),
      fetchRaw: rawTextReader(db, 'd'),
      orphans: [{ constraint: 'd_parent_fkey', columns: ['parent'], parent: 'p', missing }],
    });
    expect(compiled.targetColumns).toEqual(['id', 'parent', 'score', 'n', 'data', 'reasoning', 'acknowledged']);
    const stmt = db.prepare(`SELECT rowid, ${compiled.selectColumns.join(', ')} FROM d WHERE id IS ?`).raw(true);
    return (id) => compiled.convertRow(stmt.get(id) as SourceValue[]);
  }

  it('rounds to float4 for a real column, each rounding a precision_loss repair with the original, and keeps exact values as they are', () => {
    const convert = app(
      `INSERT INTO d VALUES ('a', NULL, 1523.456789012, 1, '{}'), ('b', NULL, 0.5, 1, '{}'), ('c', NULL, 1e300, 1, '{}')`,
    );
    const a = convert('a');
    expect(a.values[2]).toBe(String(Math.fround(1523.456789012)));
    expect(a.repairs).toEqual([
      { column: 'score', kind: 'precision_loss', message: expect.any(String) as string, original: 1523.456789012 },
    ]);
    expect(convert('b')).toMatchObject({ repairs: [], reject: null });
    expect(convert('b').values[2]).toBe('0.5');
    // Finite, but past float4's range: not a rounding, the column cannot hold it.
    expect(convert('c').reject?.kind).toBe('type_mismatch');
  });

  it('takes app columns SQLite keeps inside a JSON column from its keys; an absent key gets whenMissing, a JSON null is NULL', () => {
    const convert = app(`INSERT INTO d VALUES
      ('both', NULL, NULL, 1, '{"reasoning": "because", "acknowledged": true}'),
      ('none', NULL, NULL, 1, '{"other": 1}'),
      ('null', NULL, NULL, 1, '{"reasoning": null, "acknowledged": false}'),
      ('odd', NULL, NULL, 1, '{"reasoning": 42, "acknowledged": "yes"}')`);
    expect(convert('both').values.slice(5)).toEqual(['because', 't']);
    expect(convert('none').values.slice(5)).toEqual(['', 'f']);
    expect(convert('null').values.slice(5)).toEqual([null, 'f']);
    const odd = convert('odd');
    expect(odd.values.slice(5)).toEqual(['', 'f']);
    expect(odd.repairs.map((r) => [r.column, r.kind, r.original])).toEqual([
      ['reasoning', 'type_mismatch', '42'],
      ['acknowledged', 'type_mismatch', '"yes"'],
    ]);
  });

  it('rejects NULL in a NOT NULL column, an integer past int4, and a row whose foreign key the target would refuse', () => {
    const convert = app(
      `INSERT INTO d VALUES ('nulln', NULL, NULL, NULL, '{}'), ('big', NULL, NULL, 3000000000, '{}'), ('orphan', 'gone', NULL, 1, '{}'), ('child', 'here', NULL, 1, '{}')`,
      ['gone'],
    );
    expect(convert('nulln').reject).toMatchObject({ kind: 'null_value', column: 'n' });
    expect(convert('big').reject?.kind).toBe('type_mismatch');
    expect(convert('orphan').reject).toMatchObject({ kind: 'fk_orphan', column: 'parent' });
    expect(convert('orphan').reject?.message).toMatch(/d_parent_fkey/);
    expect(convert('child').reject).toBeNull();
  });
});
