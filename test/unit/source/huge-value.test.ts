import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { HUGE_FROM, HUGE_SLICE } from '../../../src/source/huge-value.js';
import { rawTextReader, readPages, type Page } from '../../../src/source/read.js';
import { canonicalForHash, rowHash, type CanonicalForm } from '../../../src/tables/canonical.js';
import { compileTable, type CompiledTable } from '../../../src/tables/row-converter.js';
import { timeZoneOffsetFn } from '../../../src/tables/timestamp.js';
import { isHuge, isSliced, type SourceValue, type TargetValue } from '../../../src/tables/value.js';
import { CopyBuffer, MIN_CHUNK } from '../../../src/target/copy-encode.js';
import { tableSpec } from '../../helpers/table-spec.js';

/**
 * Values from HUGE_FROM bytes on are read in slices (src/source/huge-value.ts)
 * and converted, hashed and encoded slice by slice: each must give exactly
 * what the value read whole gives.
 */

const spec = tableSpec({
  source: 't',
  key: ['id'],
  columns: [
    { name: 'id', type: 'text', nullable: false, targetOnly: false },
    { name: 'body', type: 'text', nullable: true, targetOnly: false },
    { name: 'data', type: 'bytea', nullable: true, targetOnly: false },
    { name: 'meta', type: 'jsonb', nullable: true, targetOnly: false },
  ],
});

/** A text past HUGE_FROM bytes, opening with a BOM, whose slices end inside 2-, 3- and 4-byte characters. */
function hugeText(tail = ''): string {
  const block = 'ab\t\\\n€中😀é';
  const text = `\uFEFF${block.repeat(Math.ceil((HUGE_FROM + HUGE_SLICE) / Buffer.byteLength(block)))}`;
  return text + tail;
}

function hugeBlob(): Buffer {
  const b = Buffer.alloc(HUGE_FROM + 3);
  for (let i = 0; i < b.length; i += 997) b[i] = i & 255;
  return b;
}

describe('huge values, read in slices', () => {
  const text = hugeText();
  const blob = hugeBlob();
  let db: Database.Database;
  let compiled: CompiledTable;

  beforeAll(() => {
    db = new Database(':memory:');
    db.defaultSafeIntegers(true);
    db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT, data BLOB, meta TEXT)');
    const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
    insert.run('big', text, blob, '{"a": 1}');
    insert.run('small', 'hello', Buffer.from('hi'), null);
    insert.run('nul', hugeText('\0end'), null, null);
    // Invalid UTF-8 in a huge text: read whole, it becomes U+FFFD.
    db.prepare("INSERT INTO t VALUES ('bad', CAST(? AS TEXT), NULL, NULL)").run(
      Buffer.concat([Buffer.from(text), Buffer.from([0xff, 0xfe])]),
    );
    insert.run('text-in-blob', null, hugeText(), null);
    compiled = compileTable(spec, ['id', 'body', 'data', 'meta'], {
      offsetOf: timeZoneOffsetFn('UTC'),
      fetchRaw: rawTextReader(db, 't'),
    });
  });

  const pageOf = (sliceable: readonly number[]): Page => {
    const pages = [...readPages(db, 't', compiled.selectColumns, { maxRows: 100, maxBytes: 1 << 30, sliceable })];
    return { ...(pages[0] as Page), rows: pages.flatMap((p) => p.rows) };
  };
  const rowOf = (page: Page, id: string): SourceValue[] => page.rows.find((r) => r[1] === id) as SourceValue[];

  it('slices only text and blob columns that no key needs whole', () => {
    // id is the key, meta is JSON: neither is read in slices.
    expect(compiled.sliceable.map((i) => compiled.selectColumns[i])).toEqual(['body', 'data']);
  });

  it('reads a huge value as one to read later, with its size, and the others as they are', () => {
    const page = pageOf(compiled.sliceable);
    const big = rowOf(page, 'big');
    const body = big[2] as SourceValue;
    const data = big[3] as SourceValue;
    expect(isHuge(body) && body.storage).toBe('text');
    expect(isHuge(body) && body.bytes).toBe(Buffer.byteLength(text));
    expect(isHuge(data) && data.storage).toBe('blob');
    expect(big[4]).toBe('{"a": 1}');
    expect(big).toHaveLength(5);
    expect(rowOf(page, 'small')).toEqual([2n, 'small', 'hello', Buffer.from('hi'), null]);
    // The page's size counts the huge values' bytes, so its batch is streamed.
    expect(page.bytes).toBeGreaterThan(2 * HUGE_FROM);
    // Joined, the slices are the value read whole: a BOM kept, no character cut.
    if (!isHuge(body) || !isHuge(data)) throw new Error('not huge');
    expect([...body.textSlices()].join('')).toBe(text);
    expect(Buffer.concat([...data.byteSlices()]).equals(blob)).toBe(true);
    expect(body.whole()).toBe(text);
  });

  it('reads every value whole when no column is sliceable', () => {
    const big = rowOf(pageOf([]), 'big');
    expect(big[2]).toBe(text);
    expect(Buffer.isBuffer(big[3]) && (big[3] as Buffer).equals(blob)).toBe(true);
  });

  it('converts a clean huge text and a huge blob to sliced values, encoded and hashed as the whole ones', () => {
    const sliced = compiled.convertRow(rowOf(pageOf(compiled.sliceable), 'big'));
    const whole = compiled.convertRow(rowOf(pageOf([]), 'big'));
    expect(sliced.reject).toBeNull();
    expect(sliced.repairs).toEqual([]);
    expect(isSliced(sliced.values[1])).toBe(true);
    expect(isSliced(sliced.values[2])).toBe(true);
    expect(copyBytes(sliced.values)).toEqual(copyBytes(whole.values));
    expect(chunkedCopyBytes(sliced.values)).toEqual(copyBytes(whole.values));
    for (const forms of [
      ['text', 'text', 'bytea', 'jsonb'],
      ['text', 'text', 'text', 'jsonb'],
      ['text', 'jsonb', 'bytea', 'jsonb'],
    ] as CanonicalForm[][]) {
      expect(hashOf(sliced.values, forms)).toBe(hashOf(whole.values, forms));
    }
  });

  it('reads a huge text with NUL or bytes that are not UTF-8 whole, and repairs it as any other', () => {
    const page = pageOf(compiled.sliceable);
    const nul = compiled.convertRow(rowOf(page, 'nul'));
    expect(nul.values[1]).toBe(hugeText('\uFFFDend'));
    expect(nul.repairs.map((r) => r.kind)).toEqual(['nul_byte']);
    const bad = compiled.convertRow(rowOf(page, 'bad'));
    expect(bad.values[1]).toBe(`${text}\uFFFD\uFFFD`);
    expect(bad.repairs.map((r) => r.kind)).toEqual(['invalid_utf8']);
    const raw = bad.repairs[0]?.original as Buffer;
    expect(raw.subarray(raw.length - 2)).toEqual(Buffer.from([0xff, 0xfe]));
  });

  it('takes a huge text in a blob column as its UTF-8 bytes, as it does a small one', () => {
    const row = compiled.convertRow(rowOf(pageOf(compiled.sliceable), 'text-in-blob'));
    const data = row.values[2] as TargetValue;
    expect(isSliced(data) && data.sliced).toBe('bytes');
    expect(copyBytes(row.values)).toEqual(copyBytes(['text-in-blob', null, Buffer.from(hugeText()), null]));
  });
});

function copyBytes(values: readonly TargetValue[]): string {
  const b = new CopyBuffer();
  b.writeRow(values);
  return hashHex(b.bytes());
}

function chunkedCopyBytes(values: readonly TargetValue[]): string {
  const b = new CopyBuffer(MIN_CHUNK);
  const chunks = [...b.writeRowInChunks(values), b.take()];
  return hashHex(Buffer.concat(chunks));
}

function hashOf(values: readonly TargetValue[], forms: readonly CanonicalForm[]): string {
  return rowHash(values.map((v, i) => canonicalForHash(v, forms[i] as CanonicalForm)));
}

/** Bytes compared by digest: a failing expect on 20 MB would print them. */
function hashHex(b: Buffer): string {
  return `${b.length}:${createHash('sha256').update(b).digest('hex')}`;
}
