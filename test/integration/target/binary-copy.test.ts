import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_SESSION_SQL, canonical, type CanonicalForm } from '../../../src/tables/canonical.js';
import { valueText, type HugeSourceValue, type TargetValue } from '../../../src/tables/value.js';
import {
  binaryKind,
  binaryRowHashExpr,
  BinaryCopyBuffer,
  BinaryRowHasher,
  type BinaryKind,
} from '../../../src/target/binary-copy.js';
import { copyInOneTrip } from '../../../src/target/one-trip-copy.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { randomBytes, randomText, rng } from '../../helpers/random.js';

/**
 * The load sends a table's rows in COPY's binary format and hashes each row
 * over the bytes it sent; verify has the server rebuild those bytes from the
 * stored row with each type's send function (src/target/binary-copy.ts). Over
 * thousands of random rows and the edges picked by hand, this real server must
 * store what the text form would have stored (as verify's canonical text shows
 * it), and hash every row to the hash the load took.
 */

const COLUMNS: readonly { name: string; type: string; kind: BinaryKind; form: CanonicalForm }[] = [
  { name: 'i4', type: 'integer', kind: 'int4', form: 'text' },
  { name: 'i8', type: 'bigint', kind: 'int8', form: 'text' },
  { name: 'f8', type: 'double precision', kind: 'float8', form: 'float8' },
  { name: 'b', type: 'boolean', kind: 'bool', form: 'text' },
  { name: 't', type: 'text', kind: 'text', form: 'text' },
  { name: 'by', type: 'bytea', kind: 'bytea', form: 'bytea' },
  { name: 'j', type: 'jsonb', kind: 'jsonb', form: 'jsonb' },
  { name: 'ts', type: 'timestamp with time zone', kind: 'timestamptz', form: 'timestamptz' },
];
const KINDS = COLUMNS.map((c) => c.kind);
const NAMES = COLUMNS.map((c) => c.name).join(', ');

const DOUBLES = [0, -0, 1, -1, 0.1, 1 / 3, 1e-310, -5e-324, 1.7976931348623157e308, 1e21, 123456789.125, NaN];
const INSTANTS = [
  '0001-01-01 00:00:00.000000+00',
  '1715-06-01 12:00:00.000001+00',
  '1969-12-31 23:59:59.999999+00',
  '2000-01-01 00:00:00.000000+00',
  '2000-02-29 13:14:15.161718+00',
  '2026-11-30 10:23:45.123456+00',
  '2286-01-01 00:00:00.000001+00',
  '9999-12-31 23:59:59.999999+00',
];
const JSONS = ['{}', '[]', '{"b": 1, "a": [1, 2.50, "x"]}', '{"a":1,"a":2}', '"s\\u00e9"', '{"k": {"n": null}}', '1e2'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

/** A row of the table: each value as the converters give it, a NULL now and then. */
function randomRow(r: () => number): TargetValue[] {
  const maybe = (v: TargetValue): TargetValue => (r() < 0.08 ? null : v);
  const int32 = Math.floor(r() * 2 ** 32) - 2 ** 31;
  const int64 = BigInt.asIntN(64, (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
  const f8 = r() < 0.3 ? pick(r, DOUBLES) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
  const year = String(1 + Math.floor(r() * 9999)).padStart(4, '0');
  const month = String(1 + Math.floor(r() * 12)).padStart(2, '0');
  const day = String(1 + Math.floor(r() * 28)).padStart(2, '0');
  const micros = String(Math.floor(r() * 1e6)).padStart(6, '0');
  const instant =
    r() < 0.3
      ? pick(r, INSTANTS)
      : `${year}-${month}-${day} 0${Math.floor(r() * 10)}:3${Math.floor(r() * 10)}:5${Math.floor(r() * 10)}.${micros}+00`;
  // Text as the converters leave it: no NUL, no lone surrogate (repaired to U+FFFD before).
  const text = randomText(r, Math.floor(r() * 40))
    .replaceAll('\u0000', '\uFFFD')
    .replace(/[\uD800-\uDFFF]/g, '\uFFFD');
  return [
    maybe(BigInt(int32)),
    maybe(int64),
    maybe(f8),
    maybe(r() < 0.5 ? 't' : 'f'),
    maybe(text),
    maybe(randomBytes(r, Math.floor(r() * 20))),
    maybe(pick(r, JSONS)),
    maybe(instant),
  ];
}

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('binary_copy');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(CANONICAL_SESSION_SQL);
  await client.query(`CREATE TABLE t (n bigint, ${COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')})`);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

async function load(rows: readonly TargetValue[][]): Promise<string[]> {
  const kinds: BinaryKind[] = ['int8', ...KINDS];
  const out = new BinaryCopyBuffer(kinds, 0);
  const hashes = rows.map((row, i) => out.writeRow([BigInt(i), ...row]));
  await client.query('TRUNCATE t');
  await copyInOneTrip(
    client,
    { before: 'BEGIN', copy: `COPY t (n, ${NAMES}) FROM STDIN (FORMAT binary)`, after: 'COMMIT' },
    out.finish(),
  );
  return hashes;
}

describe('binary COPY and its row hash', () => {
  it('stores what the text form would, and the server hashes each row as the load did', async () => {
    const r = rng(20261130);
    const rows = Array.from({ length: 3000 }, () => randomRow(r));
    const sent = await load(rows);
    const stored = await client.query<{ n: string; h: string; [c: string]: string | null }>(
      `SELECT n::text, ${binaryRowHashExpr(['n', ...COLUMNS.map((c) => c.name)], ['int8', ...KINDS])} AS h,
        ${COLUMNS.map((c) => `${c.form === 'bytea' ? `encode(${c.name}, 'hex')` : c.name === 'b' ? `CASE WHEN b THEN 't' WHEN NOT b THEN 'f' END` : `${c.name}::text`} AS ${c.name}`).join(', ')}
       FROM t ORDER BY t.n`,
    );
    expect(stored.rows).toHaveLength(rows.length);
    const hasher = new BinaryRowHasher([0, 1, 2, 3, 4, 5, 6, 7, 8], ['int8', ...KINDS]);
    for (const [i, row] of rows.entries()) {
      const got = stored.rows[i] as Record<string, string | null>;
      // The server's hash of the stored row is the load's hash of the bytes it sent, and verify's of the values.
      expect(got.h, `row ${i}`).toBe(sent[i]);
      expect(hasher.hash([BigInt(i), ...row]), `row ${i}`).toBe(sent[i]);
      // The values as the text form would have stored them (verify's canonical text of each).
      for (const [j, c] of COLUMNS.entries()) expect(got[c.name], `row ${i} ${c.name}`).toBe(canonical(row[j], c.form));
    }
  });

  it('keeps a negative zero, which the text form now sends as -0 too', async () => {
    await load([[null, null, -0, null, null, null, null, null]]);
    const r = await client.query<{ f: string; bits: string }>(
      `SELECT f8::text AS f, encode(float8send(f8), 'hex') AS bits FROM t`,
    );
    expect(r.rows[0]).toEqual({ f: '-0', bits: '8000000000000000' });
    expect(valueText(-0)).toBe('-0');
  });

  it('hashes a checked column as the server checks it', async () => {
    const rows = [[1n, null, 2.5, 't', 'abc', null, '{"a": 1}', INSTANTS[3] as string]];
    const sentRow = [0n, ...(rows[0] as TargetValue[])];
    const out = new BinaryCopyBuffer(['int8', ...KINDS], 1);
    const h = out.writeRow(sentRow);
    await load(rows);
    const q = await client.query<{ ok: string; bad: string }>(
      `SELECT ${binaryRowHashExpr(['n', ...COLUMNS.map((c) => c.name), `t IS NOT DISTINCT FROM 'a' || 'bc'`], ['int8', ...KINDS, 'check'])} AS ok,
              ${binaryRowHashExpr(['n', ...COLUMNS.map((c) => c.name), `t IS NOT DISTINCT FROM 'x'`], ['int8', ...KINDS, 'check'])} AS bad FROM t`,
    );
    expect(q.rows[0]?.ok).toBe(h);
    expect(q.rows[0]?.bad).not.toBe(h);
    expect(new BinaryRowHasher([0, 1, 2, 3, 4, 5, 6, 7, 8, -1], ['int8', ...KINDS, 'check']).hash(sentRow)).toBe(h);
  });

  it('hashes a huge value read a slice at a time as the same value whole', () => {
    const text = `${'é'.repeat(70_000)}😀${'a'.repeat(50_001)}`;
    const bytes = Buffer.from(text, 'utf8');
    const huge = (storage: 'text' | 'blob'): HugeSourceValue => ({
      huge: true,
      storage,
      bytes: bytes.length,
      *byteSlices() {
        for (let at = 0; at < bytes.length; at += 40_000) yield bytes.subarray(at, at + 40_000);
      },
      *textSlices() {
        yield text.slice(0, 70_000);
        yield text.slice(70_000);
      },
      whole: () => (storage === 'text' ? text : bytes),
      wholeBytes: () => bytes,
    });
    const hasher = new BinaryRowHasher([0, 1], ['text', 'bytea']);
    expect(
      hasher.hash([
        { sliced: 'text', source: huge('text') },
        { sliced: 'bytes', source: huge('blob') },
      ]),
    ).toBe(hasher.hash([text, bytes]));
  });

  it('takes a column binary only where its converter gives the one form the type stores', () => {
    expect(binaryKind('double precision', 'float', undefined)).toBe('float8');
    expect(binaryKind('real', 'float', undefined)).toBeNull();
    expect(binaryKind('numeric', 'numeric', undefined)).toBeNull();
    expect(binaryKind('text', 'blob', undefined)).toBeNull();
    expect(binaryKind('timestamp with time zone', 'text', undefined)).toBeNull();
    // A mapping's constant must encode in the kind.
    expect(binaryKind('timestamp with time zone', 'timestamp', '2024-01-01')).toBe('timestamptz');
    expect(binaryKind('timestamp with time zone', 'timestamp', 'now')).toBeNull();
    expect(binaryKind('bigint', 'integer', 'many')).toBeNull();
    expect(binaryKind('boolean', 'boolean', false)).toBe('bool');
    expect(binaryKind('bytea', 'blob', 'x')).toBeNull();
  });
});
