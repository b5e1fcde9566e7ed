import { describe, expect, it } from 'vitest';
import {
  CANONICAL_SESSION_SQL,
  canonicalKey,
  columnCanon,
  keySelectExpr,
  keysVerbatim,
} from '../../../src/tables/canonical.js';
import type { TargetValue } from '../../../src/tables/value.js';
import { targetKey } from '../../../src/tables/target-key.js';
import { keyMatch } from '../../../src/pipeline/rollback/rollback-plan.js';
import { withPg } from '../../helpers/migrate.js';
import { useTestDatabase } from '../../helpers/pg.js';

/**
 * A row's key is written three ways that must name the same row: the ledger's
 * text of the converted values (targetKey), the target's key as verify reads
 * it (keySelectExpr), and the ledger key brought to that form (canonicalKey).
 * Rollback finds the row from the ledger's text (keyMatch). Checked here on a
 * real server, per type, with values whose text PostgreSQL prints differently
 * from the converters.
 */
const db = useTestDatabase('key_forms');

const CASES: readonly { type: string; values: readonly TargetValue[] }[] = [
  { type: 'text', values: ['plain', 'with \uFFFD', 'rowid:7', '["a"]', ''] },
  { type: 'bigint', values: [0n, -9007199254740993n, 42n] },
  { type: 'boolean', values: ['t', 'f'] },
  { type: 'bytea', values: [Buffer.from([0x00, 0x5c, 0xff]), Buffer.alloc(0)] },
  { type: 'double precision', values: [1e-7, 0.1 + 0.2, 1.5e300, -0, 123456789012345680000, Number.NaN] },
  { type: 'real', values: [1.5, Math.fround(0.1)] },
  { type: 'numeric', values: ['1.50', '-0.000100', '12345678901234567890.5'] },
  {
    type: 'timestamp with time zone',
    values: ['2024-06-01 10:00:00.123456+00', '2024-06-02 00:00:00.000000+00', '1999-12-31 23:59:59.000001+00'],
  },
  // The converters' text: UTC, six fraction digits (src/tables/pg-text.ts, timestampText).
  { type: 'timestamp without time zone', values: ['2024-06-01 10:00:00.500000', '2024-06-02 00:00:00.000000'] },
];

describe('key forms: the ledger, verify and rollback name a row alike', () => {
  for (const { type, values } of CASES) {
    it(type, async () => {
      await withPg(db.url, async (c) => {
        await c.query(CANONICAL_SESSION_SQL);
        const table = `k_${type.replaceAll(' ', '_')}`;
        await c.query(`CREATE TABLE ${table} (k ${type} PRIMARY KEY, n int)`);
        // Loaded from the texts COPY's text format would send (a bytea as \x…), as the load does.
        for (const [i, v] of values.entries())
          await c.query(`INSERT INTO ${table} VALUES ($1::${type}, $2)`, [targetKey([v]), i]);
        const form = columnCanon('k', type).form;
        const printed = await c.query<{ k: string; n: number }>(
          `SELECT ${keySelectExpr('k', type)} AS k, n FROM ${table} ORDER BY n`,
        );
        expect(printed.rows.map((r) => r.k)).toEqual(values.map((v) => canonicalKey(targetKey([v]), [form])));
        // Where the forms are verbatim the server can match ledger keys itself (summedTargetDigestApart).
        if (keysVerbatim([form])) expect(printed.rows.map((r) => r.k)).toEqual(values.map((v) => targetKey([v])));
        for (const [i, v] of values.entries()) {
          const found = await c.query<{ n: number }>(
            `SELECT n FROM ${table} AS t WHERE ${keyMatch([{ name: 'k', type }], '$1')}`,
            [targetKey([v])],
          );
          expect(found.rows, `${type} ${targetKey([v])}`).toEqual([{ n: i }]);
        }
      });
    });
  }

  it('a composite key: each part in its column form, and rollback matches on every part', async () => {
    await withPg(db.url, async (c) => {
      await c.query(CANONICAL_SESSION_SQL);
      await c.query(`CREATE TABLE k_pair (a text, b double precision, c bytea, PRIMARY KEY (a, b, c))`);
      const row: TargetValue[] = ['x\uFFFDy', 1e-7, Buffer.from([1, 2])];
      const key = targetKey(row);
      await c.query(`INSERT INTO k_pair VALUES ($1, $2::float8, $3::bytea)`, JSON.parse(key) as string[]);
      await c.query(`INSERT INTO k_pair VALUES ('x\uFFFDy', 2e-7, '\\x0102')`);
      const types = ['text', 'double precision', 'bytea'];
      const printed = await c.query<{ a: string; b: string; c: string }>(
        `SELECT ${['a', 'b', 'c'].map((k, i) => `${keySelectExpr(k, types[i] as string)} AS ${k}`).join(', ')} FROM k_pair WHERE b < 1.5e-7`,
      );
      const p = printed.rows[0] as { a: string; b: string; c: string };
      expect(JSON.stringify([p.a, p.b, p.c])).toBe(
        canonicalKey(
          key,
          types.map((t) => columnCanon('x', t).form),
        ),
      );
      const found = await c.query(
        `SELECT 1 FROM k_pair AS t WHERE ${keyMatch(
          types.map((type, i) => ({ name: 'abc'[i] as string, type })),
          '$1',
        )}`,
        [key],
      );
      expect(found.rowCount).toBe(1);
    });
  });
});
