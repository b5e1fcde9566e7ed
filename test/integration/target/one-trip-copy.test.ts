import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyBuffer } from '../../../src/target/copy-encode.js';
import { copyInOneTrip } from '../../../src/target/one-trip-copy.js';
import { dollarQuoted } from '../../../src/util/quote.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

/**
 * A batch as one query (BEGIN, COPY, checkpoint, COMMIT): what the server keeps
 * when it all succeeds, when the COPY fails partway and when a statement after
 * it fails, and that the connection serves the next query in each case.
 */

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('one_trip_copy');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE TABLE t (id bigint PRIMARY KEY, body text)');
  await client.query('CREATE TABLE log (note text)');
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

function payload(rows: [number, string | null][]): Uint8Array {
  const out = new CopyBuffer();
  for (const [id, body] of rows) out.writeRow([String(id), body]);
  return out.bytes();
}

async function state(): Promise<{ ids: number[]; notes: string[] }> {
  const ids = (await client.query<{ id: string }>('SELECT id::text AS id FROM t ORDER BY t.id')).rows.map((r) =>
    Number(r.id),
  );
  const notes = (await client.query<{ note: string }>('SELECT note FROM log ORDER BY note')).rows.map((r) => r.note);
  return { ids, notes };
}

async function batch(rows: [number, string | null][], after: string): Promise<void> {
  try {
    await copyInOneTrip(client, { before: 'BEGIN', copy: 'COPY t (id, body) FROM STDIN', after }, payload(rows));
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

describe('copyInOneTrip', () => {
  it('commits the rows and the statements after them together', async () => {
    await batch(
      [
        [1, 'tab\there, newline\nthere'],
        [2, null],
        [3, 'ünïcödé \\ backslash'],
      ],
      "INSERT INTO log VALUES ('batch 1'); COMMIT",
    );
    expect(await state()).toEqual({ ids: [1, 2, 3], notes: ['batch 1'] });
    const bodies = await client.query<{ body: string | null }>('SELECT body FROM t ORDER BY id');
    expect(bodies.rows.map((r) => r.body)).toEqual(['tab\there, newline\nthere', null, 'ünïcödé \\ backslash']);
  });

  it('keeps nothing of a batch whose COPY meets a duplicate key, and the connection serves the next query', async () => {
    const rows: [number, string][] = Array.from({ length: 5000 }, (_, i) => [100 + i, 'x'.repeat(200)]);
    rows.push([2, 'a key the table holds']);
    const err = await batch(rows, "INSERT INTO log VALUES ('batch 2'); COMMIT").catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('23505');
    expect(await state()).toEqual({ ids: [1, 2, 3], notes: ['batch 1'] });
  });

  it('keeps nothing when a statement after the COPY fails', async () => {
    const err = await batch([[10, 'ten']], 'INSERT INTO log VALUES (1/0); COMMIT').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('22012');
    expect(await state()).toEqual({ ids: [1, 2, 3], notes: ['batch 1'] });
  });

  it('keeps nothing when the COPY itself is refused, and ignores the data sent behind it', async () => {
    const err = await copyInOneTrip(
      client,
      { before: 'BEGIN', copy: 'COPY no_such_table (id) FROM STDIN', after: 'COMMIT' },
      payload([[11, 'eleven']]),
    ).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('42P01');
    await client.query('ROLLBACK');
    await batch([[12, 'twelve']], "INSERT INTO log VALUES ('batch 3'); COMMIT");
    expect(await state()).toEqual({ ids: [1, 2, 3, 12], notes: ['batch 1', 'batch 3'] });
  });
});

describe('copyInOneTrip under query_timeout', () => {
  it("ends with node-postgres's timeout error instead of waiting on a server that does not answer", async () => {
    const blocker = new pg.Client({ connectionString: db.url });
    const timed = new pg.Client({ connectionString: db.url, query_timeout: 300 });
    await blocker.connect();
    await timed.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      const err = await copyInOneTrip(
        timed,
        { before: 'BEGIN', copy: 'COPY t (id, body) FROM STDIN', after: 'COMMIT' },
        payload([[20, 'twenty']]),
      ).catch((e: unknown) => e);
      expect(String(err)).toMatch(/timeout/i);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await timed.end();
    }
  });
});

describe('dollarQuoted', () => {
  const tricky = [
    '',
    'plain',
    "it's",
    'back\\slash',
    '$am$ inside',
    'ends with $am',
    'ends with $',
    '$am$$am1$ both, and $am2',
    '{"a\\"b","c"}',
    'ünïcödé 🎉',
  ];

  it.each(tricky)('the server reads %j back exactly', async (s) => {
    const literal = dollarQuoted(s);
    expect(literal).not.toBeNull();
    const r = await client.query<{ v: string }>(`SELECT ${literal as string}::text AS v`);
    expect(r.rows[0]?.v).toBe(s);
  });

  it('refuses a text holding a NUL byte, which a query string cannot carry', () => {
    expect(dollarQuoted('a\0b')).toBeNull();
  });
});
