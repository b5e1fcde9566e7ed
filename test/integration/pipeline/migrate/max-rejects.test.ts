import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { MigrateError } from '../../../../src/errors.js';
import { runMigration } from '../../../../src/pipeline/migrate/migrate.js';
import { runPlan } from '../../../../src/pipeline/plan/plan.js';
import { silentReporter } from '../../../../src/report/events.js';
import type { MigrateReport } from '../../../../src/report/migrate-report.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { mappings, tableDigests, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/** test/helpers/migrate.ts's migrate, with --max-rejects. */
function migrate(dataDir: string, url: string, maxRejects?: number): Promise<MigrateReport> {
  return runMigration({
    config: loadConfig({ dataDir, databaseUrl: url, instance: 'test-a' }, {}),
    mappings,
    reporter: silentReporter,
    signal: new AbortController().signal,
    jobs: 2,
    batchRows: 10000,
    batchBytes: 32 * 1024 * 1024,
    lockTimeoutSeconds: 30,
    rejectDir: join(tempDir('rejects'), 'r'),
    verify: true,
    maxKeys: 20,
    ...(maxRejects !== undefined ? { maxRejects } : {}),
  });
}

/** What the target holds: its public tables, and the runs in the ledger (none when there is no ledger). */
async function targetContents(url: string): Promise<{ tables: number; runs: number }> {
  return withPg(url, async (c) => {
    const tables = await c.query<{ n: string }>(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
    );
    const ledger = await c.query<{ ok: boolean }>("SELECT to_regclass('aragora_migrate.runs') IS NOT NULL AS ok");
    const runs =
      ledger.rows[0]?.ok === true
        ? Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM aragora_migrate.runs')).rows[0]?.n)
        : 0;
    return { tables: Number(tables.rows[0]?.n), runs };
  });
}

describe('migrate --max-rejects', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });

  it("refuses before a run exists when plan's rejects pass N, and loads as before when they do not", async () => {
    const plan = await runPlan({ config: loadConfig({ dataDir: m.dir, instance: 'test-a' }, {}), mappings });
    const rejecting = plan.tables.filter((t) => t.rowsRejected > 0);
    const rejects = rejecting.reduce((n, t) => n + t.rowsRejected, 0);
    // The fixture rejects rows on purpose (test/helpers/fixtures.ts): the test means nothing without them.
    expect(rejects).toBeGreaterThan(1);

    const db = await createTestDatabase('max_rejects');
    const plain = await createTestDatabase('max_rejects_plain');
    try {
      const refused = await migrate(m.dir, db.url, rejects - 1).then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(MigrateError);
      const err = refused as MigrateError;
      expect(err.code).toBe('MIGRATE_TOO_MANY_REJECTS');
      expect(err.exitCode).toBe(5);
      expect(err.message).toContain(`${rejects} row(s) would be rejected, more than --max-rejects ${rejects - 1}`);
      for (const t of rejecting) expect(err.message).toContain(`${t.source.file} ${t.source.table}: ${t.rowsRejected}`);
      expect(err.hint).toMatch(/plan/);
      expect(err.hint).toMatch(/--max-rejects/);
      expect(await targetContents(db.url)).toEqual({ tables: 0, runs: 0 });

      // The CLI says the same, exit 5, and still creates nothing.
      const cli = runCli(['migrate', '--data-dir', m.dir, '--database-url', db.url, '--quiet', '--max-rejects', '0']);
      expect(cli.code, cli.stderr).toBe(5);
      expect(cli.stderr).toContain('error MIGRATE_TOO_MANY_REJECTS:');
      expect(cli.stderr).toMatch(/hint: .*--max-rejects/);
      expect(await targetContents(db.url)).toEqual({ tables: 0, runs: 0 });
      expect(runCli(['migrate', '--data-dir', m.dir, '--database-url', db.url, '--max-rejects', '-1']).code).toBe(2);

      // At N = the count it loads, exactly as a migrate without the flag does.
      const loaded = await migrate(m.dir, db.url, rejects);
      expect(loaded.exitCode).toBe(3);
      expect(loaded.state).toBe('loaded');
      expect(loaded.tables.reduce((n, t) => n + t.rowsRejected, 0)).toBe(rejects);
      const without = await migrate(m.dir, plain.url);
      expect(without.exitCode).toBe(3);
      expect(await tableDigests(db.url)).toEqual(await tableDigests(plain.url));
    } finally {
      await db.drop();
      await plain.drop();
    }
  });
});
