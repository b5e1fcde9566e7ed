import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { runArchive } from '../../../../src/pipeline/archive/archive.js';
import { runRollback } from '../../../../src/pipeline/rollback/rollback.js';
import { runCli, startCli } from '../../../helpers/cli.js';
import { fingerprint, tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { appChangesOneRating, mappings, migrate, runState, tableDigests, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * rollback undoes one run: the target as it was before the run (tables the run
 * created are dropped once empty), the archived files back at their paths, byte
 * for byte. The state before a run is read here with tableDigests, the files
 * with fingerprint, both independent of the ledger rollback works from.
 */

const rollback = (url: string, runId: string, extra: string[] = []): ReturnType<typeof runCli> =>
  runCli(['rollback', '--run', runId, '--database-url', url, ...extra]);

async function archive(dir: string, url: string, instance: string): Promise<string> {
  const backupDir = join(tempDir('backup'), 'b');
  await runArchive({ config: loadConfig({ dataDir: dir, databaseUrl: url, instance }, {}), backupDir });
  return backupDir;
}

describe('rollback', () => {
  it('migrate a, archive, rollback: every target table as before the run, the files byte-identical at their paths; a rerun is a no-op', async () => {
    const db = await createTestDatabase('rb_archive');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const filesBefore = fingerprint(a.dir);
      expect(Object.keys(filesBefore).some((f) => f.endsWith('-wal'))).toBe(true);
      const before = await tableDigests(db.url);
      const ra = await migrate(a.dir, db.url, { instance: 'a' });
      await archive(a.dir, db.url, 'a');
      expect(
        Object.keys(fingerprint(a.dir)).filter((f) => f.endsWith('.db') && filesBefore[f] !== undefined).length,
      ).toBeLessThan(Object.keys(filesBefore).filter((f) => f.endsWith('.db')).length);

      const res = rollback(db.url, ra.runId);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/rolled back: \d+ row\(s\) deleted/);
      expect(await tableDigests(db.url)).toEqual(before);
      expect(fingerprint(a.dir)).toEqual(filesBefore);
      expect(await runState(db.url, ra.runId)).toBe('rolled-back');

      const again = rollback(db.url, ra.runId);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/nothing to do/);

      // Rolled back, the instance can be migrated again, and verifies.
      const rerun = await migrate(a.dir, db.url, { instance: 'a' });
      expect(rerun.verification?.ok).toBe(true);
    } finally {
      await db.drop();
    }
  });

  it('migrate a, migrate b (merge), rollback b: the target equals its state after a alone; a cannot go first', async () => {
    const db = await createTestDatabase('rb_merge');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const b = makeInstance({ layout: 'consolidated', instance: 'b' });
      const ra = await migrate(a.dir, db.url, { instance: 'a' });
      const afterA = await tableDigests(db.url);
      const rb = await migrate(b.dir, db.url, { instance: 'b' });
      expect(rb.tables.reduce((n, t) => n + t.rowsMerged, 0)).toBeGreaterThan(0);
      expect(await tableDigests(db.url)).not.toEqual(afterA);

      const early = rollback(db.url, ra.runId);
      expect(early.code).toBe(5);
      expect(early.stderr).toContain('ROLLBACK_DEPENDENT_RUNS');
      expect(early.stderr).toContain(rb.runId);

      const res = rollback(db.url, rb.runId);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/\d+ restored to their state before the run/);
      expect(await tableDigests(db.url)).toEqual(afterA);

      // a's rows, restored by b's rollback, are a's again: a rolls back cleanly too.
      const resA = rollback(db.url, ra.runId);
      expect(resA.code, resA.stdout + resA.stderr).toBe(0);
      expect(await tableDigests(db.url)).toEqual({});
    } finally {
      await db.drop();
    }
  });

  it('refuses rows the application changed since the run and names their keys; --force rolls them back too', async () => {
    const db = await createTestDatabase('rb_changed');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const ra = await migrate(a.dir, db.url, { instance: 'a' });
      const agent = await appChangesOneRating(db.url);
      const changed = await tableDigests(db.url);

      const res = rollback(db.url, ra.runId, ['--json', '-']);
      expect(res.code).toBe(5);
      expect(res.stderr).toContain('error ROLLBACK_ROWS_CHANGED');
      const report = JSON.parse(res.stdout) as {
        state: string;
        tables: { target: string; changed: number; changedKeys: string[] }[];
      };
      expect(report.state).toBe('refused');
      expect(report.tables.filter((t) => t.changed > 0)).toEqual([
        expect.objectContaining({ target: 'elo_ratings', changed: 1, changedKeys: [agent] }),
      ]);
      expect(await tableDigests(db.url)).toEqual(changed);
      expect(await runState(db.url, ra.runId)).not.toBe('rolled-back');

      const forced = rollback(db.url, ra.runId, ['--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toContain(agent);
      expect(await tableDigests(db.url)).toEqual({});
    } finally {
      await db.drop();
    }
  });

  it('killed -9 at several instants, then rerun: the same end state as an uninterrupted rollback', async () => {
    const db = await createTestDatabase('rb_kill');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const filesBefore = fingerprint(a.dir);
      const ra = await migrate(a.dir, db.url, { instance: 'a' });
      await archive(a.dir, db.url, 'a');
      const doneTables = async (): Promise<number> =>
        withPg(db.url, async (c) =>
          Number(
            (
              await c.query<{ n: string }>('SELECT count(*) AS n FROM aragora_migrate.rollbacks WHERE run_id = $1', [
                ra.runId,
              ])
            ).rows[0]?.n ?? 0,
          ),
        );
      const instants: number[] = [];
      const partial: number[] = [];
      for (let i = 0; i < 4; i++) {
        const child = startCli(['rollback', '--run', ra.runId, '--database-url', db.url]);
        // Wait until this process has rolled back at least one more table, then kill it a random moment later.
        const start = await doneTables();
        const deadline = Date.now() + 60_000;
        let exited = false;
        void child.done.then(() => (exited = true));
        while (!exited && (await doneTables()) <= start && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        const wait = Math.floor(Math.random() * 40);
        instants.push(wait);
        await new Promise((r) => setTimeout(r, wait));
        child.kill('SIGKILL');
        const res = await child.done;
        if (res.code === 0) break; // finished before the kill landed
        const done = await doneTables();
        if (done > 0 && (await runState(db.url, ra.runId)) === 'rolling-back') partial.push(done);
      }
      // At least one kill landed with some tables rolled back and others not.
      expect(partial.length, `kill delays ${instants.join(', ')} ms`).toBeGreaterThan(0);
      const final = rollback(db.url, ra.runId);
      expect(final.code, `${final.stderr}\nkilled ${instants.length} time(s)`).toBe(0);
      expect(await tableDigests(db.url)).toEqual({});
      expect(fingerprint(a.dir)).toEqual(filesBefore);
      expect(await runState(db.url, ra.runId)).toBe('rolled-back');
      expect(await doneTables()).toBe(new Set(ra.tables.map((t) => t.target)).size);
    } finally {
      await db.drop();
    }
  });

  it('an instance whose files changed after its finished run is refused; rolled back, it migrates again, new rows included', async () => {
    const db = await createTestDatabase('rb_remigrate');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const ra = await migrate(a.dir, db.url, { instance: 'a' });
      // The application wrote after the run (the instance was not drained).
      const elo = new Database(join(a.dir, 'agent_elo.db'));
      elo.prepare("INSERT INTO ratings (agent_name, updated_at) VALUES ('newcomer', '2026-11-28 05:00:00')").run();
      elo.close();
      await expect(migrate(a.dir, db.url, { instance: 'a' })).rejects.toMatchObject({
        code: 'RUN_ALREADY_MIGRATED',
        exitCode: 5,
      });

      expect(rollback(db.url, ra.runId).code).toBe(0);
      const again = await migrate(a.dir, db.url, { instance: 'a' });
      expect(again.runId).not.toBe(ra.runId);
      expect(again.verification?.ok).toBe(true);
      expect(
        await withPg(
          db.url,
          async (c) => (await c.query("SELECT 1 FROM elo_ratings WHERE agent_name = 'newcomer'")).rowCount,
        ),
      ).toBe(1);
    } finally {
      await db.drop();
    }
  });

  it('the programmatic core refuses a run id the ledger does not hold', async () => {
    const db = await createTestDatabase('rb_none');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      await migrate(a.dir, db.url, { instance: 'a', verify: false });
      await expect(
        runRollback({
          config: loadConfig({ databaseUrl: db.url }, {}),
          mappings,
          runId: 'no-such-run',
          force: false,
          lockTimeoutSeconds: 5,
          maxKeys: 5,
        }),
      ).rejects.toMatchObject({ code: 'ROLLBACK_NO_RUN' });
    } finally {
      await db.drop();
    }
  });
});
