import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs, type AutoMappedSource } from '../../helpers/auto-mapping.js';
import { runCli } from '../../helpers/cli.js';
import { withPg } from '../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

/**
 * Settings a target database or role can carry for the application, and what
 * they do to a migration: a statement timeout no longer cancels the tool's
 * statements part way (it stopped on a stack trace, exit 1), and a target
 * that takes no writes (a read replica, or sessions read-only by default) is
 * refused with a code before anything is written, instead of a stack trace,
 * as is a database whose encoding cannot hold the text (its first character
 * outside LATIN1 failed a table part way through the load).
 */
const ROWS = 20_000;

function makeSource(): AutoMappedSource {
  return autoMappedSource('server-defaults', 'notes.db', (db) => {
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT, score REAL)');
    const insert = db.prepare('INSERT INTO notes VALUES (?, ?, ?, ?)');
    for (let i = 1; i <= ROWS; i++) insert.run(i, `note ${i}`, `body ${i} `.repeat(20), i / 3);
  });
}

/** A database of its own, with `setting` as its default for every new session. */
async function databaseWith(setting: string, run: (db: TestDatabase) => Promise<void>): Promise<void> {
  const db = await createTestDatabase('server_defaults');
  try {
    await withPg(db.url, (c) => c.query(`ALTER DATABASE ${c.escapeIdentifier(db.name)} SET ${setting}`));
    await run(db);
  } finally {
    await db.drop();
  }
}

const ledgerExists = (url: string): Promise<boolean> =>
  withPg(
    url,
    async (c) => (await c.query(`SELECT to_regnamespace('aragora_migrate') IS NOT NULL AS ok`)).rows[0].ok as boolean,
  );

describe("the target database's own settings", () => {
  it('a statement timeout set for the application does not cancel the load, the indexes or verify', async () => {
    const source = makeSource();
    await databaseWith(`statement_timeout = '2ms'`, async (db) => {
      const migrate = runCli(['migrate', ...sourceArgs(source, db.url)]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);
      expect(migrate.stdout).toMatch(/loaded and verified \(exit 0\)/);
      const verify = runCli(['verify', '--from-source', ...sourceArgs(source, db.url)]);
      expect(verify.code, verify.stderr + verify.stdout).toBe(0);
      // The application's sessions keep the database's setting.
      const timeout = await withPg(db.url, async (c) => (await c.query('SHOW statement_timeout')).rows[0]);
      expect(timeout).toEqual({ statement_timeout: '2ms' });
    });
  });

  it('sessions read-only by default: plan blocks, migrate refuses before writing anything', async () => {
    const source = makeSource();
    await databaseWith('default_transaction_read_only = on', async (db) => {
      const plan = runCli(['plan', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(plan.code, plan.stderr).toBe(5);
      const report = JSON.parse(plan.stdout) as { findings: { kind: string; action: string; code?: string }[] };
      expect(report.findings.filter((f) => f.kind === 'target_read_only')).toEqual([
        expect.objectContaining({ action: 'block', code: 'TARGET_READ_ONLY' }),
      ]);

      const migrate = runCli(['migrate', ...sourceArgs(source, db.url)]);
      expect(migrate.code, migrate.stderr + migrate.stdout).toBe(5);
      expect(migrate.stderr).toContain(
        "TARGET_READ_ONLY: the target's sessions are read-only (default_transaction_read_only is on for the database or the role)",
      );
      expect(migrate.stderr).not.toMatch(/This is a bug/);
      expect(await ledgerExists(db.url)).toBe(false);
    });
  });

  it('a database not encoded UTF8: plan blocks, migrate refuses before writing anything', async () => {
    const source = makeSource();
    const db = await createTestDatabase('server_defaults');
    const latin1 = `${db.name}_latin1`;
    const url = db.url.replace(/\/[^/?]*(\?|$)/, `/${latin1}$1`);
    await withPg(db.url, (c) =>
      c.query(`CREATE DATABASE ${latin1} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`),
    );
    try {
      const plan = runCli(['plan', '--json', '-', ...sourceArgs(source, url)]);
      expect(plan.code, plan.stderr).toBe(5);
      const report = JSON.parse(plan.stdout) as { findings: { kind: string; code?: string; message: string }[] };
      expect(report.findings.filter((f) => f.kind === 'target_encoding')).toEqual([
        expect.objectContaining({
          code: 'TARGET_ENCODING',
          message: `database "${latin1}" is encoded LATIN1, which cannot hold every text SQLite holds (UTF-8)`,
        }),
      ]);
      const migrate = runCli(['migrate', ...sourceArgs(source, url)]);
      expect(migrate.code, migrate.stderr + migrate.stdout).toBe(5);
      expect(migrate.stderr).toMatch(/TARGET_ENCODING/);
      expect(await ledgerExists(url)).toBe(false);
    } finally {
      await withPg(db.url, async (c) => {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [latin1]);
        await c.query(`DROP DATABASE IF EXISTS ${latin1}`);
      });
      await db.drop();
    }
  });

  it('a target that turned read-only after the run: verify and rollback refuse with the code and change nothing', async () => {
    const source = makeSource();
    const db = await createTestDatabase('server_defaults');
    try {
      const migrate = runCli(['migrate', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(migrate.code, migrate.stderr).toBe(0);
      const runId = (JSON.parse(migrate.stdout) as { runId: string }).runId;
      await withPg(db.url, (c) =>
        c.query(`ALTER DATABASE ${c.escapeIdentifier(db.name)} SET default_transaction_read_only = on`),
      );
      const verify = runCli(['verify', ...sourceArgs(source, db.url)]);
      expect(verify.code, verify.stderr + verify.stdout).toBe(5);
      expect(verify.stderr).toMatch(/TARGET_READ_ONLY/);
      const rollback = runCli(['rollback', '--run', runId, '--mappings', source.maps, '--database-url', db.url]);
      expect(rollback.code, rollback.stderr + rollback.stdout).toBe(5);
      expect(rollback.stderr).toMatch(/TARGET_READ_ONLY/);
      const left = await withPg(db.url, async (c) => ({
        rows: (await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n as number,
        state: (await c.query('SELECT state FROM aragora_migrate.runs WHERE run_id = $1', [runId])).rows[0].state,
      }));
      expect(left).toEqual({ rows: ROWS, state: 'verified' });
    } finally {
      await db.drop();
    }
  });
});
