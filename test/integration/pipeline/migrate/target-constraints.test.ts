import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs, type AutoMappedSource } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { expectStopThenResume, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * Constraints a target table that exists already declares. A foreign key on
 * an integer column to a table the run does not load: its orphans were never
 * looked up (only text keys were), so plan said GO and the table's COPY
 * failed on the first one (exit 1); now plan counts them and migrate rejects
 * them losslessly. A trigger that raises on the rows stops the load with a
 * code (exit 5) instead of "a bug" (exit 1), and the same command resumes
 * once it is lifted.
 */
const ROWS = 3000;

function makeSource(): AutoMappedSource {
  return autoMappedSource('target-constraints', 'c.db', (db) => {
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, owner INTEGER, qty INTEGER)');
    const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?)');
    // owner 0..9, of which the target's owners table holds 0..6; qty below 1 in every 100th row.
    for (let i = 1; i <= ROWS; i++) insert.run(i, i % 10, i % 100 === 0 ? 0 : i);
  });
}

describe('constraints of a target table that exists', () => {
  it('an integer foreign key to a table outside the run: plan counts the orphans, migrate rejects exactly those', async () => {
    const source = makeSource();
    const db = await createTestDatabase('target_constraints');
    try {
      await withPg(db.url, async (c) => {
        await c.query('CREATE TABLE owners (id bigint PRIMARY KEY)');
        await c.query('INSERT INTO owners SELECT generate_series(0, 6)');
        await c.query('CREATE TABLE items (id bigint PRIMARY KEY, owner bigint REFERENCES owners (id), qty bigint)');
      });
      const orphans = ROWS * 0.3;
      const plan = runCli(['plan', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(plan.code, plan.stderr).toBe(3);
      const planned = JSON.parse(plan.stdout) as { tables: { rowsLoaded: number; rowsRejected: number }[] };
      expect(planned.tables.map((t) => [t.rowsLoaded, t.rowsRejected])).toEqual([[ROWS - orphans, orphans]]);

      const migrate = runCli(['migrate', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(3);
      const report = JSON.parse(migrate.stdout) as {
        tables: { rowsLoaded: number; rowsRejected: number }[];
        verification: { ok: boolean };
      };
      expect(report.tables.map((t) => [t.rowsLoaded, t.rowsRejected])).toEqual([[ROWS - orphans, orphans]]);
      expect(report.verification.ok).toBe(true);
      const owners = await withPg(db.url, async (c) =>
        (await c.query('SELECT DISTINCT owner::int AS o FROM items ORDER BY 1')).rows.map((r) => r.o as number),
      );
      expect(owners).toEqual([0, 1, 2, 3, 4, 5, 6]);
    } finally {
      await db.drop();
    }
  });

  it('a trigger that raises on the rows: migrate stops with TARGET_CONSTRAINT, and resumes once it is lifted', async () => {
    // A CHECK is refused before the run is created (test/integration/target/constraints-before-run.test.ts);
    // a trigger's RAISE cannot be judged before the load, and stops it at its batch.
    const source = makeSource();
    const db = await createTestDatabase('target_constraints');
    try {
      await withPg(db.url, async (c) => {
        await c.query('CREATE TABLE items (id bigint PRIMARY KEY, owner bigint, qty bigint)');
        await c.query(`CREATE FUNCTION qty_positive() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.qty <= 0 THEN RAISE EXCEPTION 'qty must be positive, row %', NEW.id; END IF; RETURN NEW; END $$`);
        await c.query(
          'CREATE TRIGGER qty_positive BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION qty_positive()',
        );
      });
      await expectStopThenResume(sourceArgs(source, db.url), db.url, {
        said: 'the target refused a row by a constraint or a trigger it declares: qty must be positive, row 100',
        lift: 'DROP TRIGGER qty_positive ON items',
        table: 'items',
        rows: ROWS,
      });
    } finally {
      await db.drop();
    }
  });
});
