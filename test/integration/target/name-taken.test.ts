import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs } from '../../helpers/auto-mapping.js';
import { runCli } from '../../helpers/cli.js';
import { withPg } from '../../helpers/migrate.js';
import { useTestDatabase } from '../../helpers/pg.js';

/**
 * A target table's name held in the target schema by something that is not a
 * table. CREATE TABLE IF NOT EXISTS passed over a view of the name: plan said
 * GO, and migrate met the view's rows as keys already in the table (or
 * failed at CREATE TABLE for a sequence or a type). Now plan blocks each such
 * table and migrate refuses before writing anything.
 */
const pg = useTestDatabase('name_taken');

describe('a target name held by a view, a sequence or a type', () => {
  it('plan blocks each table whose name is taken, migrate refuses before writing anything', async () => {
    const source = autoMappedSource('name-taken', 'k.db', (db) =>
      db.exec(`
        CREATE TABLE notes (id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER);
        CREATE TABLE moods (id INTEGER PRIMARY KEY, m TEXT);
        CREATE TABLE free (id INTEGER PRIMARY KEY);
        INSERT INTO notes VALUES (1, 'a'); INSERT INTO counters VALUES (1, 2); INSERT INTO moods VALUES (1, 'ok');
        INSERT INTO free VALUES (1);
      `),
    );
    await withPg(pg.url, async (c) => {
      await c.query(`CREATE VIEW public.notes AS SELECT 1::bigint AS id, 'x'::text AS v`);
      await c.query('CREATE SEQUENCE public.counters');
      await c.query(`CREATE TYPE public.moods AS ENUM ('ok')`);
    });
    const args = sourceArgs(source, pg.url);

    const plan = runCli(['plan', '--json', '-', ...args]);
    expect(plan.code, plan.stderr).toBe(5);
    const report = JSON.parse(plan.stdout) as {
      findings: { kind: string; table: string; code?: string; message: string }[];
      tables: { source: { table: string }; status: string }[];
    };
    expect(
      report.findings
        .filter((f) => f.kind === 'target_name_taken')
        .map((f) => [f.table, f.code, f.message])
        .sort(),
    ).toEqual([
      ['counters', 'TARGET_NAME_TAKEN', '"public"."counters" is a sequence, not a table: the rows have nowhere to go'],
      ['moods', 'TARGET_NAME_TAKEN', '"public"."moods" is a type, not a table: the rows have nowhere to go'],
      ['notes', 'TARGET_NAME_TAKEN', '"public"."notes" is a view, not a table: the rows have nowhere to go'],
    ]);
    expect(Object.fromEntries(report.tables.map((t) => [t.source.table, t.status]))).toEqual({
      notes: 'blocked',
      counters: 'blocked',
      moods: 'blocked',
      free: 'ready',
    });

    const migrate = runCli(['migrate', ...args]);
    expect(migrate.code, migrate.stderr + migrate.stdout).toBe(5);
    expect(migrate.stderr).toContain('TARGET_NAME_TAKEN');
    expect(migrate.stderr).toContain('"public"."notes" is a view, not a table');
    const written = await withPg(pg.url, async (c) => ({
      free: (await c.query(`SELECT to_regclass('public.free') AS t`)).rows[0].t,
      runs: (
        await c.query(
          `SELECT to_regclass('aragora_migrate.runs') IS NOT NULL AND EXISTS (SELECT 1 FROM aragora_migrate.runs) AS any`,
        )
      ).rows[0].any,
    }));
    expect(written).toEqual({ free: null, runs: false });
  });
});
