import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs } from '../../helpers/auto-mapping.js';
import { runCli } from '../../helpers/cli.js';
import { withPg } from '../../helpers/migrate.js';
import { useTestDatabase } from '../../helpers/pg.js';

/**
 * A target table created beforehand with CHECK constraints the source rows
 * break. plan said GO, and migrate stopped at the first batch holding such a
 * row (TARGET_CONSTRAINT) with the tables before it loaded. Now plan counts
 * the rows, judged by the server in the column's own collation, and a new
 * run refuses them before it is created.
 */
const pg = useTestDatabase('check_constraints');

interface PlanJson {
  findings: { kind: string; table: string; code?: string; count: number; message: string; exampleKeys: string[] }[];
  tables: { source: { table: string }; status: string }[];
}

describe('CHECK constraints of an existing target table', () => {
  it('plan counts the rows that break them, migrate refuses before writing anything, and loads once they are relaxed', async () => {
    const source = autoMappedSource('check-constraints', 'p.db', (db) =>
      db.exec(`
        CREATE TABLE pairs (id INTEGER PRIMARY KEY, a TEXT, b TEXT, n INTEGER);
        -- SQLite compares with BINARY: 'Zeta' < 'alpha'. A linguistic collation orders them the other way.
        INSERT INTO pairs VALUES (1, 'Zeta', 'alpha', 1), (2, 'beta', 'alpha', 2), (3, 'a', 'b', -1), (4, 'a', 'b', 5),
                                 (5, NULL, 'b', 7);
        CREATE TABLE other (id INTEGER PRIMARY KEY, v TEXT);
        INSERT INTO other VALUES (1, 'x');
      `),
    );
    const icu = await withPg(
      pg.url,
      async (c) => (await c.query(`SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'`)).rowCount === 1,
    );
    const collate = icu ? 'COLLATE "und-x-icu"' : '';
    await withPg(pg.url, async (c) => {
      await c.query(`CREATE TABLE public.pairs (
        id bigint PRIMARY KEY, a text ${collate}, b text ${collate}, n bigint, extra text,
        CONSTRAINT pair_order CHECK (a < b),
        CONSTRAINT later CHECK (extra IS NULL OR extra <> ''))`);
      // NOT VALID: rows already there are not checked, every new one is.
      await c.query('ALTER TABLE public.pairs ADD CONSTRAINT positive CHECK (n > 0) NOT VALID');
    });
    const args = sourceArgs(source, pg.url);

    const plan = runCli(['plan', '--json', '-', ...args]);
    expect(plan.code, plan.stderr).toBe(5);
    const report = JSON.parse(plan.stdout) as PlanJson;
    const found = report.findings.filter((f) => f.kind === 'check_violation');
    // Row 5's a is NULL: its check is unknown, which passes, as in PostgreSQL.
    const breaking = icu ? ['1', '2', '3'] : ['2', '3'];
    expect(found.map((f) => [f.table, f.code, f.count])).toEqual([['pairs', 'TARGET_CONSTRAINT', breaking.length]]);
    expect(found[0]?.exampleKeys.join(' ')).toBe(breaking.join(' '));
    expect(found[0]?.message).toContain(`pair_order CHECK ((a < b)): ${breaking.length - 1} row(s)`);
    expect(found[0]?.message).toContain('positive CHECK ((n > 0)): 1 row(s)');
    // `later` reads a column the run leaves to the table: not judged from the source.
    expect(found[0]?.message).not.toContain('later');
    expect(Object.fromEntries(report.tables.map((t) => [t.source.table, t.status]))).toEqual({
      pairs: 'blocked',
      other: 'ready',
    });

    const refused = runCli(['migrate', ...args]);
    expect(refused.code, refused.stderr + refused.stdout).toBe(5);
    expect(refused.stderr).toContain('TARGET_CONSTRAINT');
    expect(refused.stderr).toContain(`the CHECK constraint pair_order of pairs refuses`);
    expect(refused.stderr).toContain('nothing was loaded');
    const before = await withPg(pg.url, async (c) => ({
      pairs: (await c.query('SELECT count(*)::int AS n FROM public.pairs')).rows[0].n,
      other: (await c.query(`SELECT to_regclass('public.other') AS t`)).rows[0].t,
      runs: (
        await c.query(
          `SELECT to_regclass('aragora_migrate.runs') IS NOT NULL AND EXISTS (SELECT 1 FROM aragora_migrate.runs) AS any`,
        )
      ).rows[0].any,
    }));
    expect(before).toEqual({ pairs: 0, other: null, runs: false });

    // Relaxed for the migration, as the hint says: the same command loads every row.
    await withPg(pg.url, (c) =>
      c.query('ALTER TABLE public.pairs DROP CONSTRAINT pair_order, DROP CONSTRAINT positive'),
    );
    const loaded = runCli(['migrate', ...args]);
    expect(loaded.code, loaded.stderr + loaded.stdout).toBe(0);
    const after = await withPg(
      pg.url,
      async (c) => (await c.query('SELECT count(*)::int AS n FROM public.pairs')).rows[0].n as number,
    );
    expect(after).toBe(5);
  });
});
