import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { withPg } from '../../../helpers/migrate.js';
import { useTestDatabase } from '../../../helpers/pg.js';

/**
 * A table a run loaded rows into, dropped by hand before the run finished.
 * The resume loaded the rest into a new table and only verify said the first
 * rows were missing (exit 4); rollback stopped on a stack trace (exit 1) at
 * the missing table. Now the resume refuses (RUN_TARGET_GONE), rollback
 * passes over the table that is gone, and migrate then loads every row anew.
 */
const pg = useTestDatabase('target_gone');
const ROWS = 1000;

describe('a table the run loaded rows into, dropped before the run finished', () => {
  it('the resume refuses, rollback passes over the table, and migrate loads every row anew', async () => {
    const source = autoMappedSource('target-gone', 'c.db', (db) => {
      db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER); CREATE TABLE tags (name TEXT PRIMARY KEY)');
      const item = db.prepare('INSERT INTO items VALUES (?, ?)');
      const tag = db.prepare('INSERT INTO tags VALUES (?)');
      // Row 700 meets the target's trigger: the run stops there, its first batches committed.
      for (let i = 1; i <= ROWS; i++) {
        item.run(i, i === 700 ? 0 : i);
        tag.run(`t${i}`);
      }
    });
    // A trigger, not a CHECK: a CHECK the rows break refuses the run before it is created.
    await withPg(pg.url, async (c) => {
      await c.query('CREATE TABLE items (id bigint PRIMARY KEY, qty bigint)');
      await c.query(`CREATE FUNCTION qty_positive() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.qty <= 0 THEN RAISE EXCEPTION 'qty must be positive'; END IF; RETURN NEW; END $$`);
      await c.query('CREATE TRIGGER qty_positive BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION qty_positive()');
    });
    const args = [...sourceArgs(source, pg.url), '--batch-rows', '100'];

    const first = runCli(['migrate', ...args]);
    expect(first.code, first.stderr + first.stdout.slice(-1000)).toBe(5);
    const runId = await withPg(
      pg.url,
      async (c) => (await c.query<{ run_id: string }>('SELECT run_id FROM aragora_migrate.runs')).rows[0]?.run_id ?? '',
    );
    const loaded = await withPg(pg.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n);
    expect(loaded).toBe(600);
    // plan says what the same migrate would do with the run: resume it.
    const runKinds = (out: string): { kind: string; code?: string }[] =>
      (JSON.parse(out) as { findings: { kind: string; code?: string }[] }).findings.filter((f) =>
        f.kind.startsWith('run_'),
      );
    const unfinished = runCli(['plan', '--json', '-', ...sourceArgs(source, pg.url)]);
    expect(runKinds(unfinished.stdout)).toEqual([expect.objectContaining({ kind: 'run_unfinished' })]);
    await withPg(pg.url, (c) => c.query('DROP TABLE items'));

    // Once the table is gone, plan refuses as the resume does.
    const gone = runCli(['plan', '--json', '-', ...sourceArgs(source, pg.url)]);
    expect(gone.code).toBe(5);
    expect(runKinds(gone.stdout)).toEqual([expect.objectContaining({ kind: 'run_refused', code: 'RUN_TARGET_GONE' })]);
    const resumed = runCli(['migrate', ...args]);
    expect(resumed.code, resumed.stderr + resumed.stdout.slice(-1000)).toBe(5);
    expect(resumed.stderr).toContain(
      `RUN_TARGET_GONE: run ${runId} loaded rows into tables that no longer exist:\n  items: 600 row(s) of c.db items`,
    );

    const rollback = runCli([
      'rollback',
      '--run',
      runId,
      '--json',
      '-',
      '--mappings',
      source.maps,
      '--database-url',
      pg.url,
    ]);
    expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
    const tables = (JSON.parse(rollback.stdout) as { tables: { target: string; gone: boolean; dropped: boolean }[] })
      .tables;
    expect(tables.map((t) => [t.target, t.gone, t.dropped]).sort()).toEqual([
      ['items', true, false],
      ['tags', false, true],
    ]);

    const again = runCli(['migrate', '--json', '-', ...args]);
    expect(again.code, again.stderr + again.stdout.slice(-1000)).toBe(0);
    const report = JSON.parse(again.stdout) as { resumed: boolean; verification: { ok: boolean } };
    expect(report.resumed).toBe(false);
    expect(report.verification.ok).toBe(true);
    const counts = await withPg(pg.url, async (c) => [
      (await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n,
      (await c.query('SELECT count(*)::int AS n FROM tags')).rows[0].n,
    ]);
    expect(counts).toEqual([ROWS, ROWS]);
  });
});
