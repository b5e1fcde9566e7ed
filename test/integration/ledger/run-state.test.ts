import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { archiveRowsOfRuns } from '../../../src/ledger/archives.js';
import { listRuns, setRunState } from '../../../src/ledger/runs.js';
import { migrateLedger } from '../../../src/ledger/schema.js';
import { ledgerTableExists } from '../../../src/ledger/schema.js';
import { latestVerificationOk, recordVerification, verificationsOfRuns } from '../../../src/ledger/verifications.js';
import { withPg } from '../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

async function freshLedger(c: pg.Client, version?: number): Promise<void> {
  await c.query('DROP SCHEMA IF EXISTS aragora_migrate CASCADE');
  await migrateLedger(c, version);
}

async function addRun(c: pg.Client, runId: string, state: string, exitCode: number | null): Promise<void> {
  await c.query(
    `INSERT INTO aragora_migrate.runs (run_id, instance, host, data_dir, target_schema, state, exit_code, tool_version)
     VALUES ($1, 'a', 'h', '/data', 'public', $2, $3, 'test')`,
    [runId, state, exitCode],
  );
}

async function runRow(
  c: pg.Client,
  runId: string,
): Promise<{ state: string; exit_code: number | null; error: string | null; finished_at: Date | null }> {
  const r = await c.query<{ state: string; exit_code: number | null; error: string | null; finished_at: Date | null }>(
    "SELECT state, exit_code, to_jsonb(runs.*) ->> 'error' AS error, finished_at FROM aragora_migrate.runs WHERE run_id = $1",
    [runId],
  );
  return r.rows[0] as never;
}

describe('ledger: run state, verifications, status reads', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('ledger_run_state');
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    await withPg(db.url, (c) => freshLedger(c));
  });

  it("setRunState with an exit code sets the outcome; 'unchanged' moves the state only", async () => {
    await withPg(db.url, async (c) => {
      await addRun(c, 'r1', 'running', null);
      await setRunState(c, 'r1', 'loaded', 3, 'some error');
      const loaded = await runRow(c, 'r1');
      expect(loaded).toMatchObject({ state: 'loaded', exit_code: 3, error: 'some error' });
      expect(loaded.finished_at).not.toBeNull();
      await setRunState(c, 'r1', 'rolling-back', 'unchanged');
      expect(await runRow(c, 'r1')).toEqual({ ...loaded, state: 'rolling-back' });
      await setRunState(c, 'r1', 'rolled-back', 'unchanged');
      expect(await runRow(c, 'r1')).toEqual({ ...loaded, state: 'rolled-back' });
    });
  });

  it('setRunState with onlyFrom moves only a run in that state', async () => {
    await withPg(db.url, async (c) => {
      await addRun(c, 'loaded-run', 'loaded', 0);
      await addRun(c, 'gone-run', 'rolled-back', 0);
      await setRunState(c, 'loaded-run', 'verified', 'unchanged', null, 'loaded');
      await setRunState(c, 'gone-run', 'verified', 'unchanged', null, 'loaded');
      expect((await runRow(c, 'loaded-run')).state).toBe('verified');
      expect((await runRow(c, 'gone-run')).state).toBe('rolled-back');
    });
  });

  it("setRunState 'unchanged' and listRuns work on a ledger older than the error column (version 3)", async () => {
    await withPg(db.url, async (c) => {
      await freshLedger(c, 3);
      await addRun(c, 'old', 'loaded', 0);
      await setRunState(c, 'old', 'rolling-back', 'unchanged');
      const runs = await listRuns(c, {});
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ run_id: 'old', state: 'rolling-back', exit_code: 0, error: null });
    });
  });

  it('listRuns filters by run and by schema, newest first', async () => {
    await withPg(db.url, async (c) => {
      await addRun(c, 'r1', 'loaded', 0);
      await addRun(c, 'r2', 'loaded', 0);
      await c.query(
        "UPDATE aragora_migrate.runs SET started_at = started_at + interval '1 minute', target_schema = 'other' WHERE run_id = 'r2'",
      );
      expect((await listRuns(c, {})).map((r) => r.run_id)).toEqual(['r2', 'r1']);
      expect((await listRuns(c, { runId: 'r1' })).map((r) => r.run_id)).toEqual(['r1']);
      expect((await listRuns(c, { schema: 'other' })).map((r) => r.run_id)).toEqual(['r2']);
    });
  });

  it('verifications: recorded, the latest decides, listed oldest first', async () => {
    await withPg(db.url, async (c) => {
      await addRun(c, 'r1', 'loaded', 0);
      expect(await latestVerificationOk(c, 'r1')).toBeNull();
      await recordVerification(c, 'r1', false, { ok: false });
      await recordVerification(c, 'r1', true, { ok: true });
      expect(await latestVerificationOk(c, 'r1')).toBe(true);
      expect((await verificationsOfRuns(c, ['r1'])).map((v) => v.ok)).toEqual([false, true]);
      expect(await verificationsOfRuns(c, ['other'])).toEqual([]);
    });
  });

  it('a version 1 ledger has no verifications or archives table: status reads none, without error', async () => {
    await withPg(db.url, async (c) => {
      await freshLedger(c, 1);
      await addRun(c, 'r1', 'loaded', 0);
      expect(await ledgerTableExists(c, 'runs')).toBe(true);
      expect(await ledgerTableExists(c, 'archives')).toBe(false);
      expect(await verificationsOfRuns(c, ['r1'])).toEqual([]);
      expect(await archiveRowsOfRuns(c, ['r1'])).toEqual([]);
    });
  });
});
