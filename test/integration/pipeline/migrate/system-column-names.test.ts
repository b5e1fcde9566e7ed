import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs, type AutoMappedSource } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { withPg } from '../../../helpers/migrate.js';
import { useTestDatabase } from '../../../helpers/pg.js';

/**
 * SQLite lets a column be called xmin, ctid, tableoid, cmin, cmax or xmax,
 * names PostgreSQL keeps for its system columns, or have no name at all;
 * no PostgreSQL table can have such a column. plan used to say GO and migrate
 * then stopped on a stack trace (exit 1) at CREATE TABLE. A column the tool
 * carries over itself (the auto-mapping, or a column a mapping does not name)
 * now arrives as sqlite_<name> (sqlite_unnamed); a mapping that names a system
 * column as its target is refused with the column's path.
 */
const pg = useTestDatabase('system_column_names');

const ROWS = 3000;

function oddSource(prefix: string): AutoMappedSource {
  return autoMappedSource(prefix, 'odd.db', (db) => {
    db.exec(`
      CREATE TABLE events (id INTEGER PRIMARY KEY, xmin TEXT, ctid INTEGER, tableoid TEXT, cmax REAL, sqlite_xmin TEXT, "" TEXT);
      CREATE TABLE loose (xmax TEXT, body TEXT);
    `);
    const events = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)');
    const loose = db.prepare('INSERT INTO loose VALUES (?, ?)');
    for (let i = 1; i <= ROWS; i++) {
      events.run(i, `x${i}`, i * 7, i % 5 === 0 ? null : `t${i}`, i / 4, `already ${i}`, `no name ${i}`);
      loose.run(`m${i % 10}`, `body ${i}`);
    }
  });
}

const args = (dir: string, maps: string, url: string): string[] => sourceArgs({ dir, maps }, url);

describe('source column names PostgreSQL cannot take', () => {
  it('arrive under sqlite_<name>, with plan predicting migrate, verify passing and rollback emptying the tables', async () => {
    const { dir, maps } = oddSource('system-cols');
    // events as a hand mapping naming only its key: its other columns are carried over by the tool.
    const set = JSON.parse(readFileSync(join(maps, 'odd.json'), 'utf8')) as {
      tables: { source: string; columns: { name: string }[] }[];
    };
    const events = set.tables.find((t) => t.source === 'events');
    if (events === undefined) throw new Error('no events table in the auto-mapping');
    events.columns = events.columns.filter((c) => c.name === 'id');
    writeFileSync(join(maps, 'odd.json'), JSON.stringify(set));

    const plan = runCli(['plan', '--json', '-', ...args(dir, maps, pg.url)]);
    expect(plan.code, plan.stderr + plan.stdout.slice(-2000)).toBe(0);
    const planned = JSON.parse(plan.stdout) as {
      findings: { table: string; column: string; kind: string; message: string }[];
      tables: { source: { table: string }; rowsLoaded: number }[];
    };
    const carried = planned.findings.filter((f) => f.kind === 'unmapped_column' && f.column === 'xmin');
    expect(carried.map((f) => f.message)).toEqual([
      expect.stringContaining('loaded as _sqlite_xmin: PostgreSQL keeps xmin for a system column'),
    ]);

    const migrate = runCli(['migrate', '--json', '-', ...args(dir, maps, pg.url)]);
    expect(migrate.code, migrate.stderr + migrate.stdout.slice(-2000)).toBe(0);
    const report = JSON.parse(migrate.stdout) as {
      runId: string;
      tables: { source: { table: string }; rowsLoaded: number }[];
      verification: { ok: boolean };
    };
    const loaded = (r: { tables: { source: { table: string }; rowsLoaded: number }[] }): Record<string, number> =>
      Object.fromEntries(r.tables.map((t) => [t.source.table, t.rowsLoaded]));
    expect(loaded(report)).toEqual({ events: ROWS, loose: ROWS });
    expect(loaded(planned)).toEqual(loaded(report));
    expect(report.verification.ok).toBe(true);

    const target = await withPg(pg.url, async (c) => ({
      events: (
        await c.query(
          `SELECT id, _sqlite_xmin, sqlite_ctid, sqlite_tableoid, sqlite_cmax, sqlite_xmin, sqlite_unnamed FROM events WHERE id IN (5, 6) ORDER BY id`,
        )
      ).rows,
      loose: (await c.query(`SELECT count(DISTINCT sqlite_xmax) AS n, count(*) AS rows FROM loose`)).rows[0],
    }));
    expect(target.events).toEqual([
      {
        id: '5',
        _sqlite_xmin: 'x5',
        sqlite_ctid: '35',
        sqlite_tableoid: null,
        sqlite_cmax: 1.25,
        sqlite_xmin: 'already 5',
        sqlite_unnamed: 'no name 5',
      },
      {
        id: '6',
        _sqlite_xmin: 'x6',
        sqlite_ctid: '42',
        sqlite_tableoid: 't6',
        sqlite_cmax: 1.5,
        sqlite_xmin: 'already 6',
        sqlite_unnamed: 'no name 6',
      },
    ]);
    expect(target.loose).toEqual({ n: '10', rows: String(ROWS) });

    const verify = runCli(['verify', '--from-source', ...args(dir, maps, pg.url)]);
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
    const rollback = runCli(['rollback', '--run', report.runId, '--mappings', maps, '--database-url', pg.url]);
    expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
    const left = await withPg(pg.url, async (c) => [
      await c.query(`SELECT to_regclass('public.events') AS t`),
      await c.query(`SELECT to_regclass('public.loose') AS t`),
    ]);
    expect(left.map((r) => r.rows[0].t)).toEqual([null, null]);
  });

  it('a mapping that gives a column a system name as its target is refused, naming the column', () => {
    // The auto-mapping, replaced by a hand-written one.
    const { dir, maps } = oddSource('system-cols-mapped');
    const table = {
      source: 'loose',
      target: 'loose',
      key: ['body'],
      columns: [
        { name: 'body', type: 'text', nullable: false },
        { name: 'xmax', target: 'ctid', type: 'text' },
      ],
    };
    writeFileSync(
      join(maps, 'odd.json'),
      JSON.stringify({ name: 'odd', files: { legacy: ['odd.db'] }, tables: [table] }),
    );
    for (const command of ['plan', 'migrate']) {
      const r = runCli([command, ...args(dir, maps, pg.url)]);
      expect(r.code, r.stderr + r.stdout).toBe(2);
      expect(r.stderr).toMatch(/MAPPING_INVALID/);
      expect(r.stderr).toContain(
        'tables[0].columns[1].target: PostgreSQL keeps the name "ctid" for a system column, so no table can have a column of that name',
      );
    }
  });
});
