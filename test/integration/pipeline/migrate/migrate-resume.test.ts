import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../../../helpers/cli.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { migrate, tableDigests, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';
import { tempDir } from '../../../helpers/files.js';

function startMigrate(dataDir: string, url: string, extra: string[] = []): RunningCli {
  return startCli([
    'migrate',
    '--data-dir',
    dataDir,
    '--database-url',
    url,
    '--instance',
    'test-a',
    '--quiet',
    '--reject-dir',
    tempDir('rej'),
    ...extra,
  ]);
}

/** Rows committed so far by any run, from the ledger (0 before it exists). */
async function committedRows(url: string): Promise<number> {
  return withPg(url, async (c) => {
    const exists = await c.query<{ ok: boolean }>("SELECT to_regclass('aragora_migrate.run_tables') IS NOT NULL AS ok");
    if (exists.rows[0]?.ok !== true) return 0;
    const r = await c.query<{ n: string | null }>('SELECT sum(rows_read) AS n FROM aragora_migrate.run_tables');
    return Number(r.rows[0]?.n ?? 0);
  });
}

describe('a killed migrate resumes without loss or duplicates', () => {
  // Big enough that a run takes several seconds in small batches.
  const m = makeInstance({ layout: 'legacy', instance: 'a', scale: 30 });

  it('kill -9 at several random instants, then rerun: every table equals a clean run, digest for digest', async () => {
    const clean = await createTestDatabase('resume_clean');
    const killed = await createTestDatabase('resume_killed');
    try {
      const reference = await migrate(m.dir, clean.url, { batchRows: 500 });
      expect(reference.exitCode).toBe(3);
      const expected = await tableDigests(clean.url);

      const instants: number[] = [];
      let last = 0;
      for (let i = 0; i < 3; i++) {
        const child = startMigrate(m.dir, killed.url, ['--batch-rows', '500']);
        // Wait until this attempt has committed something new, then a random extra delay.
        const deadline = Date.now() + 60_000;
        while ((await committedRows(killed.url)) <= last && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        const delay = Math.floor(Math.random() * 400);
        instants.push(delay);
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        const res = await child.done;
        last = await committedRows(killed.url);
        if (res.code === 3) break; // finished before the kill landed
        expect(res.signal, `attempt ${i}: ${res.stderr}`).toBe('SIGKILL');
      }
      const final = startMigrate(m.dir, killed.url, ['--batch-rows', '500']);
      const res = await final.done;
      expect(res.code, `${res.stderr}\nkill instants after progress: ${instants.join(', ')} ms`).toBe(3);
      expect(await tableDigests(killed.url)).toEqual(expected);
      await withPg(killed.url, async (c) => {
        const runs = await c.query<{ state: string }>('SELECT state FROM aragora_migrate.runs');
        expect(runs.rows.map((r) => r.state)).toEqual(['verified']);
      });
    } finally {
      await clean.drop();
      await killed.drop();
    }
  });

  it('Ctrl-C stops after the current batch, exits 130 and says how to resume', async () => {
    const db = await createTestDatabase('resume_sigint');
    try {
      const child = startMigrate(m.dir, db.url, ['--batch-rows', '200']);
      while ((await committedRows(db.url)) === 0) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
      const res = await child.done;
      expect(res.code).toBe(130);
      expect(res.stdout).toMatch(/interrupted: every committed batch is kept; run the same command again to resume/);
      const again = await startMigrate(m.dir, db.url).done;
      expect(again.code).toBe(3);
      expect(again.stdout).toMatch(/\(resumed\)/);
    } finally {
      await db.drop();
    }
  });

  it('a second Ctrl-C stops at once: exit 130, and the --json report says so and names the run, in place of an earlier report', async () => {
    const db = await createTestDatabase('resume_sigint_twice');
    const json = join(tempDir('report'), 'migrate.json');
    writeFileSync(json, '{"verdict":"ok","exitCode":0}');
    // A session that holds the ledger's batch table keeps the run inside its first batch:
    // the first Ctrl-C waits for that batch, the second must not.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      const child = startMigrate(m.dir, db.url, ['--batch-rows', '200', '--json', json]);
      let runId: string | undefined;
      for (let i = 0; i < 1200 && runId === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        runId = await withPg(db.url, async (c) => {
          if ((await c.query("SELECT to_regclass('aragora_migrate.runs') AS t")).rows[0]?.t === null) return undefined;
          return (await c.query<{ run_id: string }>('SELECT run_id FROM aragora_migrate.runs')).rows[0]?.run_id;
        });
      }
      expect(runId).toBeDefined();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE aragora_migrate.batches IN EXCLUSIVE MODE');
      child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGINT');
      const res = await child.done;
      expect(res.code, res.stderr).toBe(130);
      expect(res.stderr).toMatch(/stopping now; run the same command again to resume/);
      expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({
        command: 'migrate',
        verdict: 'interrupted',
        exitCode: 130,
        runId,
        error: {
          code: 'RUN_INTERRUPTED',
          hint: expect.stringMatching(/run the same command again to resume/) as unknown,
        },
      });
      await blocker.query('ROLLBACK');
      const again = await startMigrate(m.dir, db.url, ['--lock-timeout', '120']).done;
      expect(again.code, again.stderr).toBe(3);
      expect(again.stdout).toMatch(/\(resumed\)/);
    } finally {
      await blocker.end();
      await db.drop();
    }
  });

  it('two migrate processes at once: one waits for the other, nothing is duplicated or lost', async () => {
    const clean = await createTestDatabase('conc_clean');
    const db = await createTestDatabase('conc');
    try {
      await migrate(m.dir, clean.url);
      // The second waits as long as the first takes, however loaded the machine running the suite is.
      const [a, b] = await Promise.all([
        startMigrate(m.dir, db.url, ['--lock-timeout', '300']).done,
        startMigrate(m.dir, db.url, ['--lock-timeout', '300']).done,
      ]);
      expect([a.code, b.code], a.stderr + b.stderr).toEqual([3, 3]);
      expect([a.stdout, b.stdout].filter((s) => /nothing to do/.test(s))).toHaveLength(1);
      expect(await tableDigests(db.url)).toEqual(await tableDigests(clean.url));
    } finally {
      await clean.drop();
      await db.drop();
    }
  });

  it('a second migrate that cannot wait long enough exits 5 and names who holds the lock', async () => {
    const db = await createTestDatabase('conc_lock');
    try {
      const first = startMigrate(m.dir, db.url, ['--batch-rows', '200']);
      while ((await committedRows(db.url)) === 0) await new Promise((r) => setTimeout(r, 50));
      const second = await startMigrate(m.dir, db.url, ['--lock-timeout', '1']).done;
      expect(second.code, second.stderr).toBe(5);
      expect(second.stderr).toMatch(/LOCK_HELD.*aragora-migrate migrate test-a/s);
      expect((await first.done).code).toBe(3);
    } finally {
      await db.drop();
    }
  });
});
