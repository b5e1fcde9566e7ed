import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs } from '../../helpers/auto-mapping.js';
import { runCli } from '../../helpers/cli.js';
import { withPg } from '../../helpers/migrate.js';
import { useTestDatabase } from '../../helpers/pg.js';

/**
 * A target table created beforehand with a CHECK constraint the source rows
 * break, or a unique index (not the key's) whose values another row holds.
 * plan said GO, and migrate stopped at the first batch holding such a row
 * (TARGET_CONSTRAINT) with the tables before it loaded. Now plan counts the
 * rows, judged by the server (a check in the column's own collation), and a
 * new run refuses them before it is created.
 */
const pg = useTestDatabase('constraints_before_run');

interface PlanJson {
  findings: {
    kind: string;
    action: string;
    table: string;
    code?: string;
    count: number;
    message: string;
    exampleKeys: string[];
  }[];
  tables: { source: { table: string }; status: string }[];
}

describe('constraints of an existing target table that source rows break', () => {
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
    // Not the mid-run hint ("the batches committed before are kept ... to resume"): there is no run.
    expect(refused.stderr).toContain('no run was created');
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

  it("the table's own primary key, when the mapping keys the rows by a column the run adds: every target row is another key's", async () => {
    // uniqueHits left the table out when a key column was not in it yet: plan said GO,
    // migrate stopped on tags_pkey at the first batch (TARGET_CONSTRAINT).
    const source = autoMappedSource('added-key', 'k.db', (db) =>
      db.exec(`CREATE TABLE tags (code TEXT PRIMARY KEY, id INTEGER, v TEXT);
               INSERT INTO tags VALUES ('c', 1, 'x'), ('d', 7, 'y');`),
    );
    await withPg(pg.url, async (c) => {
      await c.query('CREATE TABLE public.tags (id bigint PRIMARY KEY, v text)');
      await c.query(`INSERT INTO public.tags VALUES (1, 'held')`);
    });
    const args = sourceArgs(source, pg.url);
    const plan = runCli(['plan', '--json', '-', ...args]);
    expect(plan.code, plan.stderr).toBe(5);
    const found = (JSON.parse(plan.stdout) as PlanJson).findings.filter((f) => f.action === 'block');
    expect(found.map((f) => [f.kind, f.table, f.code, f.count, f.exampleKeys])).toEqual([
      ['unique_violation', 'tags', 'TARGET_CONSTRAINT', 1, ['c']],
    ]);
    const refused = runCli(['migrate', ...args]);
    expect(refused.code, refused.stderr + refused.stdout).toBe(5);
    expect(refused.stderr).toContain(
      'under the unique index tags_pkey a row of tags with another key holds (the first: c)',
    );
    const held = await withPg(pg.url, async (c) => (await c.query('SELECT v FROM public.tags')).rows);
    expect(held).toEqual([{ v: 'held' }]);
  });

  it('a unique index other than the key: rows whose values another key holds are counted by plan and refused by migrate', async () => {
    const source = autoMappedSource('unique-constraints', 'u.db', (db) =>
      db.exec(`
        CREATE TABLE handles (id INTEGER PRIMARY KEY, handle TEXT, n INTEGER);
        -- 1: its handle is held by target row 100; 2: by target row 2, its own key (the same row);
        -- 3: a free handle; 4: NULL, which meets nothing.
        INSERT INTO handles VALUES (1, 'ada', 1), (2, 'bob', 2), (3, 'cy', 3), (4, NULL, 4);
      `),
    );
    await withPg(pg.url, async (c) => {
      await c.query(`CREATE TABLE public.handles (id bigint PRIMARY KEY, handle text, n bigint,
        CONSTRAINT handles_handle_key UNIQUE (handle))`);
      // A partial unique index is not judged from the source: left to the load.
      await c.query('CREATE UNIQUE INDEX handles_big_n ON public.handles (n) WHERE n > 1000');
      await c.query(`INSERT INTO public.handles VALUES (100, 'ada', 0), (2, 'bob', 2)`);
    });
    // overwrite, not the auto-mapping's fail: row 2 meets its own key's row, which the policy settles.
    const mapping = join(source.maps, 'u.json');
    const set = JSON.parse(readFileSync(mapping, 'utf8')) as { tables: { conflict: unknown }[] };
    for (const t of set.tables) t.conflict = { policy: 'overwrite' };
    writeFileSync(mapping, JSON.stringify(set));
    const args = sourceArgs(source, pg.url);

    const plan = runCli(['plan', '--json', '-', ...args]);
    expect(plan.code, plan.stderr).toBe(5);
    const report = JSON.parse(plan.stdout) as PlanJson;
    const found = report.findings.filter((f) => f.kind === 'unique_violation');
    expect(found.map((f) => [f.table, f.code, f.count, f.exampleKeys])).toEqual([
      ['handles', 'TARGET_CONSTRAINT', 1, ['1']],
    ]);
    expect(found[0]?.message).toContain('handles_handle_key (handle): 1 row(s)');

    const refused = runCli(['migrate', ...args]);
    expect(refused.code, refused.stderr + refused.stdout).toBe(5);
    expect(refused.stderr).toContain('TARGET_CONSTRAINT');
    expect(refused.stderr).toContain(
      'under the unique index handles_handle_key a row of handles with another key holds (the first: 1)',
    );
    const held = await withPg(pg.url, async (c) =>
      (await c.query('SELECT id::int FROM public.handles ORDER BY id')).rows.map((r) => r.id as number),
    );
    expect(held).toEqual([2, 100]);
  });
});
