import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { runArchive } from '../../../../src/pipeline/archive/archive.js';
import { runRollback, type RollbackOptions } from '../../../../src/pipeline/rollback/rollback.js';
import type { RollbackReport } from '../../../../src/report/rollback-report.js';
import { runCli } from '../../../helpers/cli.js';
import { fingerprint, tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { appChangesOneRating, mappings, migrate, tableDigests } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * rollback --dry-run reports what the rollback would do and changes nothing:
 * run dry, check that the target, the ledger (every row of every
 * aragora_migrate table), the run's state and the files are as before, then
 * run for real and compare, table by table, with what the dry run said.
 */

const options = (url: string, runId: string, extra: Partial<RollbackOptions> = {}): RollbackOptions => ({
  config: loadConfig({ databaseUrl: url }, {}),
  mappings,
  runId,
  force: false,
  lockTimeoutSeconds: 30,
  maxKeys: 20,
  ...extra,
});

/** Everything a dry run must leave as it was: the target's tables, the ledger's, and (when given) a data dir's files. */
async function everything(url: string, dataDir?: string): Promise<unknown> {
  return {
    target: await tableDigests(url),
    ledger: await tableDigests(url, 'aragora_migrate'),
    files: dataDir === undefined ? null : fingerprint(dataDir),
  };
}

/** What a report says was (or would be) done to each table, and to the files. */
function effects(r: RollbackReport): unknown {
  return {
    tables: r.tables.map((t) => ({
      target: t.target,
      rowsDeleted: t.rowsDeleted,
      rowsRestored: t.rowsRestored,
      changed: t.changed,
      alreadyDone: t.alreadyDone,
      dropped: t.dropped,
      keptBecause: t.keptBecause,
    })),
    filesRestored: r.filesRestored,
    filesAlreadyInPlace: r.filesAlreadyInPlace,
  };
}

/** Runs a dry run and checks it changed nothing. */
async function dryRun(url: string, runId: string, dataDir?: string, extra: Partial<RollbackOptions> = {}) {
  const before = await everything(url, dataDir);
  const report = await runRollback(options(url, runId, { ...extra, dryRun: true }));
  expect(await everything(url, dataDir)).toEqual(before);
  return report;
}

describe('rollback --dry-run', () => {
  it('says per table what the rollback then does (deletes, restores, drops, files), and changes nothing; exit 5 where a later run stands in the way', async () => {
    const db = await createTestDatabase('rb_dry');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const b = makeInstance({ layout: 'consolidated', instance: 'b' });
      const ra = await migrate(a.dir, db.url, { instance: 'a' });
      await runArchive({
        config: loadConfig({ dataDir: a.dir, databaseUrl: db.url, instance: 'a' }, {}),
        backupDir: join(tempDir('backup'), 'b'),
      });
      const rb = await migrate(b.dir, db.url, { instance: 'b' });

      // a cannot go first: the dry run refuses as the real one does, and changes nothing.
      const before = await everything(db.url, a.dir);
      const early = runCli(['rollback', '--run', ra.runId, '--database-url', db.url, '--dry-run']);
      expect(early.code).toBe(5);
      expect(early.stderr).toContain('error ROLLBACK_DEPENDENT_RUNS');
      expect(early.stderr).toContain(rb.runId);
      expect(await everything(db.url, a.dir)).toEqual(before);

      // b merged into a's rows: its rollback deletes some and restores others.
      const dryB = await dryRun(db.url, rb.runId);
      expect(dryB).toMatchObject({ state: 'dry-run', exitCode: 0 });
      expect(dryB.tables.reduce((n, t) => n + t.rowsDeleted, 0)).toBeGreaterThan(0);
      expect(dryB.tables.reduce((n, t) => n + t.rowsRestored, 0)).toBeGreaterThan(0);
      expect(dryB.message).toMatch(/would delete \d+ row\(s\), restore \d+ .* Nothing was changed$/);
      const realB = await runRollback(options(db.url, rb.runId));
      expect(realB.state).toBe('rolled-back');
      expect(effects(realB)).toEqual(effects(dryB));

      // a created its tables and archived its files: the dry run says which tables go and which files come back.
      const dryA = await dryRun(db.url, ra.runId, a.dir);
      expect(dryA.tables.filter((t) => t.dropped).length).toBeGreaterThan(0);
      expect(dryA.filesRestored.length).toBeGreaterThan(0);
      const realA = await runRollback(options(db.url, ra.runId));
      expect(effects(realA)).toEqual(effects(dryA));
      expect(await tableDigests(db.url)).toEqual({});

      // Already rolled back: the dry run says so, as the real one does.
      expect(await dryRun(db.url, ra.runId)).toMatchObject({ state: 'noop', exitCode: 0 });
    } finally {
      await db.drop();
    }
  });

  it('exits 5 with the changed keys where the real rollback would refuse; with --force it says what --force then does', async () => {
    const db = await createTestDatabase('rb_dry_changed');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const ra = await migrate(a.dir, db.url, { instance: 'a' });
      const agent = await appChangesOneRating(db.url);

      const before = await everything(db.url);
      const res = runCli(['rollback', '--run', ra.runId, '--database-url', db.url, '--dry-run', '--json', '-']);
      expect(res.code).toBe(5);
      expect(res.stderr).toContain('error ROLLBACK_ROWS_CHANGED');
      const report = JSON.parse(res.stdout) as RollbackReport;
      expect(report).toMatchObject({ state: 'dry-run', exitCode: 5 });
      expect(report.tables.filter((t) => t.changed > 0)).toEqual([
        expect.objectContaining({ target: 'elo_ratings', changed: 1, changedKeys: [agent] }),
      ]);
      expect(await everything(db.url)).toEqual(before);
      // The real one refuses for the same rows.
      const refused = await runRollback(options(db.url, ra.runId));
      expect(refused.state).toBe('refused');
      expect(refused.tables.map((t) => [t.target, t.changed, t.changedKeys])).toEqual(
        report.tables.map((t) => [t.target, t.changed, t.changedKeys]),
      );

      // The text names the rows and the command to run for real.
      const text = runCli(['rollback', '--run', ra.runId, '--database-url', db.url, '--dry-run']);
      expect(text.code).toBe(5);
      expect(text.stdout).toMatch(/would delete\s+would restore\s+changed since\s+would drop/);
      expect(text.stdout).toContain(`elo_ratings ${agent}`);
      expect(text.stdout).toContain('Dry run: nothing was changed.');
      expect(text.stdout).toContain(`aragora-migrate rollback --run ${ra.runId} --force`);

      const dryForced = await dryRun(db.url, ra.runId, undefined, { force: true });
      expect(dryForced).toMatchObject({ state: 'dry-run', exitCode: 0 });
      const forced = await runRollback(options(db.url, ra.runId, { force: true }));
      expect(forced.state).toBe('rolled-back');
      expect(effects(forced)).toEqual(effects(dryForced));
      expect(await tableDigests(db.url)).toEqual({});
    } finally {
      await db.drop();
    }
  });
});
