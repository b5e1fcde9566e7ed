import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoTable } from '../../../../src/source/auto-mapping.js';
import { inventory } from '../../../../src/source/inventory.js';
import { writeAutoMapping } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { withPg } from '../../../helpers/migrate.js';
import { useTestDatabase } from '../../../helpers/pg.js';

/**
 * SQLite lets a table have a column called rowid (or _rowid_, or oid), which
 * then hides the row id under that name. Every read of the source goes by row
 * id, so the tool reads it by a name no column takes (src/source/rowid.ts): all
 * the rows arrive, verify and rollback find them. A table whose three names are
 * all columns is refused with a code by plan and migrate alike; and a table read
 * short of its row count fails instead of passing as loaded.
 */
const pg = useTestDatabase('rowid_columns');

function makeFile(dir: string, ddl: readonly string[], fill: (db: Database.Database) => void): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'odd.db');
  const db = new Database(path);
  for (const d of ddl) db.exec(d);
  db.transaction(() => fill(db))();
  db.close();
  return path;
}

const args = (dir: string, maps: string, url: string): string[] => [
  '--data-dir',
  dir,
  '--mappings',
  maps,
  '--database-url',
  url,
];

describe('source tables with a column named rowid', () => {
  it('every row of a table with a text column rowid, and of one with an INTEGER PRIMARY KEY beside a column rowid, loads, verifies and rolls back', async () => {
    const dir = tempDir('rowid-cols');
    const maps = tempDir('rowid-cols-maps');
    const path = makeFile(
      dir,
      [
        // Text row ids in reverse order: paging by the column would start past them all.
        'CREATE TABLE notes (rowid TEXT, body TEXT)',
        'CREATE TABLE items (id INTEGER PRIMARY KEY, rowid TEXT, body TEXT)',
        'CREATE TABLE tags (name TEXT PRIMARY KEY, RowId INTEGER)',
      ],
      (db) => {
        const n = db.prepare('INSERT INTO notes VALUES (?, ?)');
        for (let i = 0; i < 2500; i++) n.run(`z${String(2500 - i).padStart(5, '0')}`, `note ${i}`);
        const it = db.prepare('INSERT INTO items VALUES (?, ?, ?)');
        for (let i = 0; i < 3000; i++) it.run(i * 2, `r${i}`, `item ${i}`);
        // An integer column rowid holding values unlike the row ids, some equal, some NULL.
        const t = db.prepare('INSERT INTO tags VALUES (?, ?)');
        for (let i = 0; i < 2200; i++) t.run(`tag-${i}`, i % 3 === 0 ? null : 7);
      },
    );
    writeAutoMapping(maps, 'odd', 'columns named rowid', path);

    const plan = runCli(['plan', '--json', '-', ...args(dir, maps, pg.url)]);
    expect(plan.code, plan.stderr).toBe(0);
    const migrate = runCli(['migrate', '--json', '-', ...args(dir, maps, pg.url)]);
    expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);
    const report = JSON.parse(migrate.stdout) as {
      runId: string;
      tables: { source: { table: string }; rowsRead: number; rowsLoaded: number }[];
      verification: { ok: boolean };
    };
    const read = Object.fromEntries(report.tables.map((t) => [t.source.table, [t.rowsRead, t.rowsLoaded]]));
    expect(read).toEqual({ notes: [2500, 2500], items: [3000, 3000], tags: [2200, 2200] });
    expect(report.verification.ok).toBe(true);

    const target = await withPg(pg.url, async (c) => ({
      notes: (await c.query('SELECT count(DISTINCT body) AS n FROM notes')).rows[0].n,
      items: (await c.query("SELECT count(*) AS n FROM items WHERE rowid = 'r' || (id / 2)")).rows[0].n,
      tags: (await c.query('SELECT count(*) FILTER (WHERE "RowId" IS NULL) AS n FROM tags')).rows[0].n,
    }));
    expect(target).toEqual({ notes: '2500', items: '3000', tags: '734' });

    const verify = runCli(['verify', '--from-source', ...args(dir, maps, pg.url)]);
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
    const rollback = runCli(['rollback', '--run', report.runId, '--mappings', maps, '--database-url', pg.url]);
    expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
    expect(rollback.stdout).toMatch(/7700 row\(s\) deleted/);
  });

  it('a table whose columns take rowid, _rowid_ and oid: plan and migrate refuse with SOURCE_ROWID_HIDDEN before a row moves', async () => {
    const dir = tempDir('rowid-hidden');
    const maps = tempDir('rowid-hidden-maps');
    const path = makeFile(dir, ['CREATE TABLE t (id TEXT PRIMARY KEY, rowid TEXT, _rowid_ TEXT, oid TEXT)'], (db) => {
      db.prepare("INSERT INTO t VALUES ('a', 'x', 'y', 'z')").run();
    });
    const src = new Database(path, { readonly: true });
    const spec = inventory(src)
      .filter((o) => o.type === 'table')
      .map(autoTable);
    src.close();
    writeFileSync(join(maps, 'odd.json'), JSON.stringify({ name: 'odd', files: { legacy: ['odd.db'] }, tables: spec }));

    const plan = runCli(['plan', ...args(dir, maps, pg.url)]);
    const migrate = runCli(['migrate', ...args(dir, maps, pg.url)]);
    expect(plan.code, plan.stderr + plan.stdout).toBe(5);
    expect(plan.stdout).toMatch(/BLOCK {2}odd\.db t: rowid_hidden .*\(migrate refuses: SOURCE_ROWID_HIDDEN\)/);
    expect(migrate.code, migrate.stderr + migrate.stdout).toBe(5);
    expect(migrate.stderr).toMatch(
      /SOURCE_ROWID_HIDDEN: the migration cannot proceed:\n {2}odd\.db: columns named rowid, _rowid_ and oid hide the row ids/,
    );
    const loaded = await withPg(pg.url, async (c) => (await c.query(`SELECT to_regclass('public.t') AS t`)).rows[0].t);
    expect(loaded).toBeNull();
  });
});
