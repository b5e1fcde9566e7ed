import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import {
  laterRunsOnItsTables,
  otherRunsWroteTable,
  recordRollbackOfTable,
  runTargetTables,
  stageRunChanges,
} from '../../../src/ledger/rollbacks.js';
import { ensureLedger } from '../../../src/ledger/schema.js';
import { withTransaction } from '../../../src/target/transaction.js';
import { withPg } from '../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

async function addRun(c: pg.Client, runId: string, startedAt: string, state = 'loaded'): Promise<void> {
  await c.query(
    `INSERT INTO aragora_migrate.runs (run_id, instance, host, data_dir, target_schema, state, started_at, tool_version)
     VALUES ($1, 'a', 'h', '/data', 'public', $2, $3, 'test')`,
    [runId, state, startedAt],
  );
}

async function addTable(c: pg.Client, runId: string, sourceTable: string, target: string): Promise<void> {
  await c.query(
    "INSERT INTO aragora_migrate.run_tables (run_id, source_file, source_table, target_table, state) VALUES ($1, 'a.db', $2, $3, 'loaded')",
    [runId, sourceTable, target],
  );
}

async function tempTables(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ t: string }>(
    "SELECT relname AS t FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'rb\\_%' ORDER BY 1",
  );
  return r.rows.map((x) => x.t);
}

describe('ledger: rollbacks', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('ledger_rollbacks');
    await withPg(db.url, async (c) => {
      await ensureLedger(c);
      await addRun(c, 'r1', '2024-01-01T00:00:00Z');
      await addTable(c, 'r1', 'users', 'users');
      await addTable(c, 'r1', 'votes', 'votes');
      await c.query("INSERT INTO aragora_migrate.created_tables (run_id, target_table) VALUES ('r1', 'votes')");
      await c.query(
        `INSERT INTO aragora_migrate.batches (run_id, source_file, source_table, batch_no, first_rowid, last_rowid, rows_read, rows_loaded, rows_rejected, rows_merged, digest, loaded_keys)
         VALUES ('r1', 'a.db', 'users', 1, 1, 3, 3, 3, 0, 0, 'd', ARRAY['1', '2', '3'])`,
      );
      await c.query(
        `INSERT INTO aragora_migrate.conflicts (run_id, source_file, source_table, source_rowid, target_table, row_key, policy, outcome, before_row)
         VALUES ('r1', 'a.db', 'users', 4, 'users', '9', 'overwrite', 'overwritten', '{"id": 9}'), ('r1', 'a.db', 'users', 5, 'users', '8', 'keep', 'kept-existing', NULL)`,
      );
      await addRun(c, 'r2', '2024-01-02T00:00:00Z');
      await addTable(c, 'r2', 'users', 'users');
      await addRun(c, 'r0', '2023-12-31T00:00:00Z', 'rolled-back');
      await addTable(c, 'r0', 'votes', 'votes');
    });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('stages what the run did to a table, and the temp tables go with the transaction', async () => {
    await withPg(db.url, async (c) => {
      const staged = await withTransaction(c, async (tx) => {
        await stageRunChanges(tx, 'r1', 'users');
        return {
          ins: (await tx.query<{ k: string }>('SELECT k FROM rb_ins ORDER BY k')).rows.map((x) => x.k),
          res: (await tx.query<{ row_key: string }>('SELECT row_key FROM rb_res ORDER BY row_key')).rows.map(
            (x) => x.row_key,
          ),
          xids: Number((await tx.query<{ n: string }>('SELECT count(*) AS n FROM rb_xid')).rows[0]?.n),
        };
      });
      expect(staged).toEqual({ ins: ['1', '2', '3'], res: ['9'], xids: 1 });
      expect(await tempTables(c)).toEqual([]);
    });
  });

  it('lists the tables a run wrote, with what a rollback already finished', async () => {
    await withPg(db.url, async (c) => {
      expect(await runTargetTables(c, 'r1')).toEqual([
        { target: 'users', sourceTable: 'users', done: false, created: false },
        { target: 'votes', sourceTable: 'votes', done: false, created: true },
      ]);
      await withTransaction(c, (tx) =>
        recordRollbackOfTable(tx, { runId: 'r1', target: 'votes', rowsDeleted: 2, rowsRestored: 1, forcedKeys: ['7'] }),
      );
      expect((await runTargetTables(c, 'r1')).map((t) => [t.target, t.done])).toEqual([
        ['users', false],
        ['votes', true],
      ]);
      const row = await c.query(
        'SELECT rows_deleted, rows_restored, forced_keys FROM aragora_migrate.rollbacks WHERE run_id = $1',
        ['r1'],
      );
      expect(row.rows).toEqual([{ rows_deleted: '2', rows_restored: '1', forced_keys: ['7'] }]);
    });
  });

  it('names later runs on the same tables, and other runs not rolled back', async () => {
    await withPg(db.url, async (c) => {
      const r1 = { run_id: 'r1', started_at: new Date('2024-01-01T00:00:00Z') };
      expect(await laterRunsOnItsTables(c, r1)).toEqual([{ runId: 'r2', instance: 'a', tables: ['users'] }]);
      expect(await laterRunsOnItsTables(c, { run_id: 'r2', started_at: new Date('2024-01-02T00:00:00Z') })).toEqual([]);
      expect(await otherRunsWroteTable(c, 'users', 'r1')).toBe(true);
      // r0 wrote votes too, but is rolled back.
      expect(await otherRunsWroteTable(c, 'votes', 'r1')).toBe(false);
    });
  });
});
