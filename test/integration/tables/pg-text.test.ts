import { describe, expect, it } from 'vitest';
import { CANONICAL_SESSION_SQL, canonical, columnCanon, rowHash, rowHashExpr } from '../../../src/tables/canonical.js';
import { flatJsonbText, float8Text, jsonbText, numericText, timestampText } from '../../../src/tables/pg-text.js';
import { parseTimestamp, timeZoneOffsetFn } from '../../../src/tables/timestamp.js';
import { withPg } from '../../helpers/migrate.js';
import { useTestDatabase } from '../../helpers/pg.js';
import { rng } from '../../helpers/random.js';

/**
 * verify hashes the target in PostgreSQL's own output form and formats only
 * the source side itself: every emulated form must be byte for byte what this
 * real server prints for the same input, over thousands of random inputs and
 * the edges picked by hand.
 */
const db = useTestDatabase('pg_text');

const KEYS = [
  'a',
  'b',
  'B',
  'aa',
  'ab',
  'tenant_id',
  'é',
  '\\u00e9',
  'ﬀ',
  '😀',
  '\\ud83d\\ude00',
  '\u007f',
  '',
  'a b',
  'q\\"',
  'x\\/y',
  'Z',
];
const STRINGS = [
  '',
  'plain',
  'é',
  '\\u00e9',
  'line\\nbreak',
  'tab\\t',
  'quote\\"',
  'back\\\\slash',
  '\\/',
  '\\u0001',
  '\\ud83d\\ude00',
  '😀',
  'ﬀ',
  '\\b\\f\\r',
  'caf\\u00E9',
  '\u2028',
];
const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '1.50',
  '0.000',
  '1e2',
  '1E+2',
  '1.5e-7',
  '-0.0',
  '0e5',
  '10e-1',
  '123.456e1',
  '12345678901234567890',
  '-1.5e1',
  '5e-1',
  '1e-30',
  '3.14159265358979323846',
  '-0e-3',
  '9007199254740993',
  '1e21',
  '0.1e1',
];

function randomJson(r: () => number, depth: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const ws = (): string => pick(['', '', '', ' ', '\n  ', '\t']);
  const kind = depth <= 0 ? Math.floor(r() * 4) : Math.floor(r() * 6);
  switch (kind) {
    case 0:
      return `"${pick(STRINGS)}"`;
    case 1:
      return pick(NUMBERS);
    case 2:
      return pick(['true', 'false', 'null']);
    case 3:
      return r() < 0.5 ? pick(NUMBERS) : `"${pick(STRINGS)}"`;
    case 4: {
      const n = Math.floor(r() * 4);
      return `[${ws()}${Array.from({ length: n }, () => randomJson(r, depth - 1)).join(`${ws()},${ws()}`)}${ws()}]`;
    }
    default: {
      const n = Math.floor(r() * 7);
      const items = Array.from({ length: n }, () => `"${pick(KEYS)}"${ws()}:${ws()}${randomJson(r, depth - 1)}`);
      return `{${ws()}${items.join(`${ws()},${ws()}`)}${ws()}}`;
    }
  }
}

/** A JSON text with the members of its top object in random order, written with `, ` and `: ` (json.dumps). */
function reorder(doc: string, r: () => number): string {
  const v = JSON.parse(doc) as unknown;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return doc;
  const entries = Object.entries(v).sort(() => r() - 0.5);
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(', ')}}`;
}

async function serverText(values: readonly string[], type: string): Promise<string[]> {
  return withPg(db.url, async (c) => {
    await c.query(CANONICAL_SESSION_SQL);
    const res = await c.query<{ t: string }>(
      `SELECT x::${type}::text AS t FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n`,
      [values],
    );
    return res.rows.map((row) => row.t);
  });
}

describe("PostgreSQL's text output, computed without the server", () => {
  it('jsonbText prints what jsonb prints: key order, duplicate keys, escapes, numbers, whitespace', async () => {
    const r = rng(7);
    const docs = Array.from({ length: 4000 }, () => randomJson(r, 3));
    docs.push(
      '{"a":1,"a":2}',
      '{"\\u00e9":1,"é":2}',
      '{"😀":1,"ﬀ":2}',
      '  [ 1 , { "x" : [ ] } ]  ',
      '"x"',
      'null',
      '{}',
      '[]',
      '-0.00e3',
      '123e-5',
    );
    const want = await serverText(docs, 'jsonb');
    const got = docs.map(jsonbText);
    const wrong = docs.map((d, i) => ({ d, want: want[i], got: got[i] })).filter((x) => x.want !== x.got);
    expect(wrong.slice(0, 5)).toEqual([]);
    // What is not JSON never matches a value the server printed, and never hangs.
    for (const bad of [
      '{"a": 1',
      '[1, 2',
      '"open',
      '{"a"',
      '',
      '{"a": [}',
      '{"a": 1} x',
      '[1 2]',
      '{"a" 1}',
      '{,}',
      'nul',
      '[tru]',
      '{"a": fals}',
      'nulx',
    ])
      expect(jsonbText(bad).startsWith('\u0000')).toBe(true);
  });

  it("jsonbText gives jsonb's own output back as it is, and rebuilds only what jsonb prints otherwise", async () => {
    const r = rng(17);
    const docs = Array.from({ length: 3000 }, () => randomJson(r, 3));
    const printed = await serverText(docs, 'jsonb');
    // jsonb's output is already in its form: returned as the same text.
    for (const p of printed) expect(jsonbText(p)).toBe(p);
    // Python's json.dumps spacing with keys in the order written (Aragora's
    // metadata): members as written, only their order and what numeric or
    // escape_json print otherwise changes.
    const pythonStyle = printed.map((p) => JSON.stringify(JSON.parse(p), null, 0).replaceAll('":', '": '));
    const shuffled = pythonStyle.map((d) => reorder(d, r));
    const inputs = [...pythonStyle, ...shuffled];
    const want = await serverText(inputs, 'jsonb');
    const wrong = inputs.map((d, i) => ({ d, want: want[i], got: jsonbText(d) })).filter((x) => x.want !== x.got);
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('jsonbText prints flat objects written as json.dumps writes them (its one-pass road) as jsonb does', async () => {
    const r = rng(23);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const value = (): string =>
      pick([
        () => `"${pick(STRINGS)}"`,
        () => pick(NUMBERS),
        () => pick(['true', 'false', 'null']),
        () =>
          pick([
            '[]',
            '[1, 2]',
            `["${pick(STRINGS)}", ${pick(NUMBERS)}, null]`,
            '[1,2]',
            '[[1], 2]',
            '[ ]',
            '[true, {}]',
          ]),
      ])();
    // Up to 40 members (more than the road's first table holds), keys repeated, escaped or not ASCII at times.
    const docs = Array.from({ length: 3000 }, () => {
      const n = Math.floor(r() * (r() < 0.1 ? 40 : 8));
      const keys = Array.from({ length: n }, (_, i) =>
        r() < 0.7 ? `k${Math.floor(r() * 3 * n)}x${'y'.repeat(i % 3)}` : pick(KEYS),
      );
      return `{${keys.map((k) => `"${k}": ${value()}`).join(', ')}}`;
    });
    docs.push('{}', '{"a": 1}', '{"b": 1, "a": 2}', '{"a": 1, "a": 2}', '{"ab": "x", "b": "y"}', '{"a": -0}');
    const want = await serverText(docs, 'jsonb');
    const wrong = docs.map((d, i) => ({ d, want: want[i], got: jsonbText(d) })).filter((x) => x.want !== x.got);
    expect(wrong.slice(0, 5)).toEqual([]);
    for (const bad of ['{"a": 1, }', '{"a": 1,}', '{"a": tru}', '{"a": 1 "b": 2}', '{"a": "x}', '{"a"}'])
      expect(jsonbText(bad).startsWith('\u0000'), bad).toBe(true);
  });

  it('flatJsonbText prints only texts jsonb accepts, as jsonb prints them; the converters take it as their JSON check', async () => {
    const r = rng(29);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const scalar = (): string =>
      pick([
        () => `"${pick(STRINGS)}"`,
        () => pick(NUMBERS),
        () => pick(['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity', 'tru', 'nul']),
        // Raw control characters, which JSON takes only escaped, and an escape.
        () => pick(['"a\tb"', '"line\nbreak"', '"bell\u0007"', '"a\\tb"', '"ok"']),
      ])();
    const list = (): string =>
      `[${Array.from({ length: Math.floor(r() * 5) }, scalar).join(pick([', ', ', ', ',', ' , ']))}]`;
    const docs = Array.from({ length: 3000 }, () => {
      if (r() < 0.4) return list();
      const n = Math.floor(r() * 8);
      const members = Array.from({ length: n }, (_, i) => {
        const key = r() < 0.8 ? `k${Math.floor(r() * 2 * n)}${'z'.repeat(i % 2)}` : pick(['a\tb', 'é', 'a\u0001']);
        return `"${key}": ${r() < 0.2 ? list() : scalar()}`;
      });
      return `{${members.join(', ')}}`;
    });
    docs.push('[]', '["a", "b"]', '["a\tb"]', '{"k": "a\nb"}', '{"a\u0001": 1}', '[1, [2]]', '[-0]', '[01]');
    const accepted: string[] = [];
    const refused: string[] = [];
    await withPg(db.url, async (c) => {
      for (const d of docs) {
        try {
          await c.query('SELECT $1::jsonb', [d]);
          accepted.push(d);
        } catch {
          refused.push(d);
        }
      }
    });
    expect(accepted.length).toBeGreaterThan(500);
    expect(refused.length).toBeGreaterThan(500);
    // Whatever it prints, jsonb accepts, and prints the same; what jsonb refuses, it never prints.
    const want = await serverText(accepted, 'jsonb');
    const flat = accepted.map((d) => flatJsonbText(d));
    expect(flat.filter((f) => f !== undefined).length).toBeGreaterThan(200);
    expect(accepted.flatMap((d, i) => (flat[i] !== undefined && flat[i] !== want[i] ? [d] : [])).slice(0, 5)).toEqual(
      [],
    );
    expect(refused.filter((d) => flatJsonbText(d) !== undefined).slice(0, 5)).toEqual([]);
    // The row digest's print of a text the converter just checked is the remembered one, the same as printing it again.
    for (const [i, d] of accepted.entries()) if (flat[i] !== undefined) expect(jsonbText(d)).toBe(want[i]);
  });

  it('numericText prints what numeric prints, and refuses what numeric_in refuses', async () => {
    const r = rng(11);
    const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(r() * 10))).join('');
    const values = [...NUMBERS, '+1.5', '.5', '5.', '-.5e3', '00012.3400', '1e1000', '1e-1000', '-0.000e-2'];
    for (let i = 0; i < 3000; i++) {
      const sign = ['', '-', '+'][Math.floor(r() * 3)] as string;
      const int = r() < 0.2 ? '' : digits(1 + Math.floor(r() * 12));
      const frac = r() < 0.4 ? '' : `.${digits(Math.floor(r() * 10))}`;
      const exp =
        r() < 0.5 ? '' : `${r() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(r() * 3)]}${Math.floor(r() * 40)}`;
      const v = `${sign}${int}${frac}${exp}`;
      if (/\d/.test(int + frac)) values.push(v);
    }
    const want = await serverText(values, 'numeric');
    const wrong = values.map((v, i) => ({ v, want: want[i], got: numericText(v) })).filter((x) => x.want !== x.got);
    expect(wrong.slice(0, 5)).toEqual([]);

    // A numeric(p,s) column prints every value with s decimals: compared by value, the same on both sides.
    const fitting = values.filter((v) => /^[+-]?\d{0,9}(\.\d{0,4})?$/.test(v) && /\d/.test(v));
    const scaled = await withPg(db.url, async (c) => {
      await c.query('CREATE TEMP TABLE scaled (n numeric(14,4))');
      await c.query('INSERT INTO scaled (n) SELECT unnest($1::text[])::numeric', [fitting]);
      return (
        await c.query<{ t: string }>(`SELECT ${columnCanon('n', 'numeric(14,4)').expr} AS t FROM scaled`)
      ).rows.map((row) => row.t);
    });
    expect(fitting.length).toBeGreaterThan(100);
    expect(scaled.sort()).toEqual(fitting.map((v) => canonical(v, 'numeric')).sort());

    // numeric's limits: 131072 digits before the point, 16383 after.
    const edges = ['1e131071', '0e200000', '1e-16383', '0e-16383'];
    expect(edges.map(numericText)).toEqual(await serverText(edges, 'numeric'));
    for (const refused of ['1e131072', '1.5e-16383', '0e-16384', '1e999999999999']) {
      expect(numericText(refused)).toBeNull();
      await expect(serverText([refused], 'numeric')).rejects.toThrow(/overflows|invalid input/);
    }
  });

  it('float8Text prints what float8 prints (extra_float_digits = 1) for random doubles and the edges', async () => {
    const r = rng(13);
    const buf = Buffer.alloc(8);
    const doubles = [
      0,
      1e15,
      1e15 - 0.5,
      999999999999999.9,
      1e-4,
      0.00009999999999999999,
      1e-5,
      1.5e-7,
      5e-324,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      0.1,
      100,
      1e21,
      1e22,
      123456789012345680,
      -1.25e-5,
      Infinity,
      -Infinity,
    ];
    for (let i = 0; i < 3000; i++) {
      buf.writeUInt32LE(Math.floor(r() * 2 ** 32), 0);
      buf.writeUInt32LE(Math.floor(r() * 2 ** 32), 4);
      const d = buf.readDoubleLE(0);
      if (Number.isFinite(d)) doubles.push(d);
      // Doubles of everyday size too, not only random exponents.
      doubles.push((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20));
    }
    const texts = doubles.map(String);
    const want = await serverText(texts, 'float8');
    const wrong = doubles
      .map((d, i) => ({ d, want: want[i], got: float8Text(d), given: float8Text(d, String(d)) }))
      .filter((x) => x.want !== x.got || x.want !== x.given);
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('timestampText prints what timestamptz and timestamp print (ISO, UTC) for what the converters write', async () => {
    const r = rng(17);
    const utc = timeZoneOffsetFn('UTC');
    const p2 = (n: number): string => String(n).padStart(2, '0');
    const texts = [
      '0001-01-01T00:00:00',
      '0050-06-01 12:00:00.5',
      '9999-12-31T23:59:59.999999',
      '2024-02-29T00:00:00.000001',
      '2026-01-15 10:23:45.120000',
    ];
    for (let i = 0; i < 2000; i++) {
      const frac = [
        '',
        '.0',
        '.000000',
        `.${String(Math.floor(r() * 1e6)).padStart(6, '0')}`,
        `.${Math.floor(r() * 10)}`,
      ][Math.floor(r() * 5)];
      texts.push(
        `${1 + Math.floor(r() * 9999)}`.padStart(4, '0')
          + `-${p2(1 + Math.floor(r() * 12))}-${p2(1 + Math.floor(r() * 28))}T${p2(Math.floor(r() * 24))}:${p2(Math.floor(r() * 60))}:${p2(Math.floor(r() * 60))}${frac}`,
      );
    }
    const loaded = texts.map((t) => {
      const parsed = parseTimestamp(t, utc);
      if (!parsed.ok) throw new Error(`${t}: ${parsed.reason}`);
      return parsed.value;
    });
    const withZone = await serverText(loaded, 'timestamptz');
    const without = await serverText(loaded, 'timestamp');
    const wrong = loaded
      .map((v, i) => ({ v, want: [withZone[i], without[i]], got: [timestampText(v, true), timestampText(v, false)] }))
      .filter((x) => x.want.join() !== x.got.join());
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('rowHash here equals rowHashExpr on the server: NULL against empty, non-ASCII, separators inside values', async () => {
    const rows: (string | null)[][] = [
      [],
      [null],
      [''],
      ['n'],
      ['v'],
      [null, ''],
      ['', null],
      ['a\u0001b'],
      ['a', 'b'],
      ['é😀', 'ﬀ', null, '0.5'],
      ['x'.repeat(5000), 'tail'],
    ];
    const server = await withPg(db.url, async (c) => {
      const out: string[] = [];
      for (const values of rows) {
        const res = await c.query<{ h: string }>(
          `SELECT ${rowHashExpr(values.map((_, i) => `$${i + 1}::text`))} AS h`,
          values,
        );
        out.push((res.rows[0] as { h: string }).h);
      }
      return out;
    });
    expect(rows.map(rowHash)).toEqual(server);
    expect(new Set(server).size).toBe(rows.length);
  });
});
