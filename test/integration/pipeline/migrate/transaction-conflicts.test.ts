import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs, type AutoMappedSource } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { expectStopThenResume, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * A batch whose transaction the server aborts to settle a conflict with
 * another session: a deadlock (40P01), or a serialization failure (40001)
 * where the database runs at REPEATABLE READ or SERIALIZABLE. The second
 * instance merges into tables the first one, already on PostgreSQL, writes
 * to, so this is an operator's case, not a fault. Before, the run stopped at
 * the first one as "This is a bug" (exit 1). Nothing of such a batch was
 * kept, so it is sent again; only conflicts that go on stop the run, with a
 * code, and the same command resumes.
 *
 * The conflicts are raised by a trigger of the target table with those
 * SQLSTATEs, counted by a sequence (which a rollback does not undo): what
 * the client sees is what a real deadlock gives it.
 */
const ROWS = 3000;

function makeSource(): AutoMappedSource {
  return autoMappedSource('transaction-conflicts', 'c.db', (db) => {
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER)');
    const insert = db.prepare('INSERT INTO items VALUES (?, ?)');
    for (let i = 1; i <= ROWS; i++) insert.run(i, i);
  });
}

/** A trigger that raises `sqlstate` on the first `times` batches it sees (each batch's first row). */
async function conflictTrigger(url: string, sqlstate: string, times: number): Promise<void> {
  await withPg(url, async (c) => {
    await c.query('CREATE TABLE items (id bigint PRIMARY KEY, qty bigint)');
    await c.query('CREATE SEQUENCE conflicts');
    await c.query(`CREATE FUNCTION conflict() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('conflicts') <= ${times} THEN
          RAISE EXCEPTION 'deadlock detected (raised by the test)' USING ERRCODE = '${sqlstate}';
        END IF;
        RETURN NEW;
      END $$`);
    await c.query('CREATE TRIGGER conflict BEFORE INSERT ON items FOR EACH STATEMENT EXECUTE FUNCTION conflict()');
  });
}

describe('a batch aborted by a conflict with another session', () => {
  it.each([
    ['a deadlock', '40P01'],
    ['a serialization failure', '40001'],
  ])('%s is sent again: every row loads once and verify passes', async (_what, sqlstate) => {
    const source = makeSource();
    const db = await createTestDatabase('tx_conflicts');
    try {
      await conflictTrigger(db.url, sqlstate, 2);
      const migrate = runCli(['migrate', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);
      const report = JSON.parse(migrate.stdout) as { verification: { ok: boolean }; tables: { rowsLoaded: number }[] };
      expect(report.verification.ok).toBe(true);
      expect(report.tables.map((t) => t.rowsLoaded)).toEqual([ROWS]);
      const rows = await withPg(db.url, async (c) =>
        Number((await c.query<{ n: string }>('SELECT count(DISTINCT id) AS n FROM items')).rows[0]?.n),
      );
      expect(rows).toBe(ROWS);
    } finally {
      await db.drop();
    }
  });

  it('conflicts that go on stop the run with TARGET_TRANSACTION_CONFLICT (exit 5), and the same command resumes', async () => {
    const source = makeSource();
    const db = await createTestDatabase('tx_conflicts');
    try {
      await conflictTrigger(db.url, '40P01', 1_000_000);
      await expectStopThenResume(sourceArgs(source, db.url), db.url, {
        said: 'TARGET_TRANSACTION_CONFLICT',
        lift: 'DROP TRIGGER conflict ON items',
        table: 'items',
        rows: ROWS,
      });
    } finally {
      await db.drop();
    }
  });
});
