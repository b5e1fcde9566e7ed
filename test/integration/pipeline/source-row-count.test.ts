import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs, type AutoMappedSource } from '../../helpers/auto-mapping.js';
import { runCli } from '../../helpers/cli.js';
import { withPg } from '../../helpers/migrate.js';
import { createTestDatabase, useTestDatabase } from '../../helpers/pg.js';

/**
 * SQLite counts a table's rows (count(*)) through its smallest b-tree, often
 * an index, and the tool reads them through the table's own b-tree, in row id
 * order. In a damaged file the two disagree, and `PRAGMA quick_check`, which
 * never compares an index with its table, passes it. plan, migrate and verify
 * each hold the rows they read to SQLite's count, and refuse with
 * SOURCE_ROWS_UNREAD rather than pass a table whose rows they cannot all
 * account for.
 */
const pg = useTestDatabase('source_row_count');

const NOTES = 100;
const OTHER = 150;

function makeSource(prefix: string): AutoMappedSource {
  return autoMappedSource(prefix, 'odd.db', (db) => {
    db.exec(`
      CREATE TABLE notes (id INTEGER PRIMARY KEY, v TEXT, body TEXT);
      CREATE INDEX notes_v ON notes (v);
      CREATE TABLE other (id INTEGER PRIMARY KEY, v TEXT, body TEXT);
      CREATE INDEX other_v ON other (v);
    `);
    // A wide body keeps each index smaller than its table: count(*) goes through the index.
    const body = 'x'.repeat(200);
    for (const [table, n] of [
      ['notes', NOTES],
      ['other', OTHER],
    ] as const) {
      const insert = db.prepare(`INSERT INTO ${table} VALUES (?, ?, ?)`);
      for (let i = 1; i <= n; i++) insert.run(i, `${table}-${i}`, body);
    }
  });
}

/**
 * Damages the file the way a misdirected write can: the pages of the two
 * indexes trade places. count(*) then gives 150 rows for notes and 100 for
 * other, while each table still reads back its own rows, and quick_check
 * still says ok.
 */
function swapIndexes(path: string): void {
  const db = new Database(path, { readonly: true });
  const root = (name: string): number =>
    db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').pluck().get(name) as number;
  const [a, b] = [root('notes_v'), root('other_v')];
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const file = readFileSync(path);
  const page = (n: number): Buffer => Buffer.from(file.subarray((n - 1) * pageSize, n * pageSize));
  const [pa, pb] = [page(a), page(b)];
  // Each index fits in one leaf page (0x0a): the page is the whole index.
  expect([pa[0], pb[0]]).toEqual([0x0a, 0x0a]);
  pb.copy(file, (a - 1) * pageSize);
  pa.copy(file, (b - 1) * pageSize);
  writeFileSync(path, file);
  const check = new Database(path, { readonly: true });
  expect(check.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(OTHER);
  expect(check.prepare('SELECT count(*) FROM (SELECT id FROM notes ORDER BY rowid)').pluck().get()).toBe(NOTES);
  check.close();
}

describe('a table whose rows read differ from the count SQLite gives', () => {
  it("plan and migrate refuse the damaged file: SQLite's own check finds the index that disagrees", async () => {
    const source = makeSource('row-count-plan');
    swapIndexes(source.path);

    const plan = runCli(['plan', '--json', '-', ...sourceArgs(source, pg.url)]);
    expect(plan.code, plan.stderr).toBe(5);
    const report = JSON.parse(plan.stdout) as {
      findings: { kind: string; action: string; code?: string; message: string }[];
    };
    expect(report.findings.filter((f) => f.action === 'block').map((f) => [f.kind, f.code])).toContainEqual([
      'corrupt_file',
      'SOURCE_CORRUPT',
    ]);
    expect(report.findings.find((f) => f.kind === 'corrupt_file')?.message).toMatch(/wrong # of entries in index/);

    const migrate = runCli(['migrate', ...sourceArgs(source, pg.url)]);
    expect(migrate.code, migrate.stderr + migrate.stdout).toBe(5);
    expect(migrate.stderr).toMatch(/SOURCE_CORRUPT/);
    const created = await withPg(
      pg.url,
      async (c) => (await c.query(`SELECT to_regclass('public.notes') AS t`)).rows[0].t,
    );
    expect(created).toBeNull();
  });

  it('verify refuses a file damaged since its run, where it used to pass it as exact', async () => {
    const source = makeSource('row-count-verify');
    // Its own database: the first test's failed run is in the other one.
    const db = await createTestDatabase('source_row_count_verify');
    try {
      const migrate = runCli(['migrate', ...sourceArgs(source, db.url)]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);

      swapIndexes(source.path);
      for (const extra of [[], ['--from-source']]) {
        const verify = runCli(['verify', ...extra, ...sourceArgs(source, db.url)]);
        expect(verify.code, verify.stderr + verify.stdout).toBe(5);
        // Tables are verified in name order: notes first.
        expect(verify.stderr).toContain(
          `SOURCE_ROWS_UNREAD: notes: verify read ${NOTES} row(s) of the ${OTHER} odd.db notes holds`,
        );
      }
    } finally {
      await db.drop();
    }
  });
});
