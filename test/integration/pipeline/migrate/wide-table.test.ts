import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs, type AutoMappedSource } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { withPg } from '../../../helpers/migrate.js';
import { useTestDatabase } from '../../../helpers/pg.js';

/**
 * SQLite allows 2000 columns in a table, PostgreSQL 1600. plan said GO for a
 * 1701-column table and migrate stopped on a stack trace (exit 1) at CREATE
 * TABLE; now plan blocks it and migrate refuses before writing anything, while
 * a table of exactly 1600 columns migrates.
 */
const pg = useTestDatabase('wide_table');

/** One table, `table`, of `columns` columns, with a row whose first and last columns hold 7 and 9. */
function wideSource(table: string, columns: number): AutoMappedSource {
  return autoMappedSource(`wide-${table}`, `${table}.db`, (db) => {
    const cols = Array.from({ length: columns - 1 }, (_, i) => `c${i} INTEGER`).join(', ');
    db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, ${cols})`);
    db.prepare(`INSERT INTO ${table} (id, c0, c${columns - 2}) VALUES (1, 7, 9)`).run();
  });
}

describe('a source table wider than a PostgreSQL table can be', () => {
  it('1701 columns: plan blocks it, migrate refuses before writing anything', async () => {
    const source = wideSource('wide', 1701);

    const plan = runCli(['plan', '--json', '-', ...sourceArgs(source, pg.url)]);
    expect(plan.code, plan.stderr).toBe(5);
    const report = JSON.parse(plan.stdout) as { findings: { kind: string; code?: string; message: string }[] };
    expect(report.findings.filter((f) => f.kind === 'too_many_columns')).toEqual([
      expect.objectContaining({
        code: 'TARGET_TOO_MANY_COLUMNS',
        message: '1701 columns: a PostgreSQL table holds at most 1600',
      }),
    ]);
    const migrate = runCli(['migrate', ...sourceArgs(source, pg.url)]);
    expect(migrate.code, migrate.stderr + migrate.stdout).toBe(5);
    expect(migrate.stderr).toContain('wide would have 1701 columns; a PostgreSQL table holds at most 1600');
    const created = await withPg(
      pg.url,
      async (c) => (await c.query(`SELECT to_regclass('public.wide') AS t`)).rows[0].t,
    );
    expect(created).toBeNull();
  });

  it('1600 columns: migrates, every value in its column', async () => {
    const source = wideSource('fits', 1600);
    const migrate = runCli(['migrate', ...sourceArgs(source, pg.url)]);
    expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);
    const row = await withPg(pg.url, async (c) => (await c.query('SELECT id, c0, c1, c1598 FROM fits')).rows[0]);
    expect(row).toEqual({ id: '1', c0: '7', c1: null, c1598: '9' });
  });
});
