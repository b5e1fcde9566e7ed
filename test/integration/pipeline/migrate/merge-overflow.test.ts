import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { runPlan } from '../../../../src/pipeline/plan/plan.js';
import type { MigrateReport } from '../../../../src/report/migrate-report.js';
import { ELO_APP, initializeLikeApp } from '../../../helpers/aragora-app/schemas.js';
import { tempDir } from '../../../helpers/files.js';
import { mappings, migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * The ELO ratings merge: a second instance's counters are added to the first
 * one's (`wins: sum`, mappings/aragora/elo.json). Two counters that each fit
 * their column can pass it together. Before, plan said GO and migrate stopped
 * at that batch with "bigint out of range" or "integer out of range" (exit 1,
 * "internal error"), the tables before it loaded. Two files of one run (the
 * `both` layout) merge the same way, the second into the first's rows.
 */

/** A data dir with `files`, each holding a ratings table with these wins. */
function ratings(name: string, files: readonly string[], wins: Readonly<Record<string, string>>): string {
  const dir = join(tempDir(name), 'data');
  mkdirSync(dir);
  for (const file of files) {
    const db = new Database(join(dir, file));
    db.exec(`CREATE TABLE ratings (agent_name TEXT PRIMARY KEY, elo REAL DEFAULT 1500, domain_elos TEXT, wins INTEGER DEFAULT 0, losses INTEGER DEFAULT 0,
               draws INTEGER DEFAULT 0, debates_count INTEGER DEFAULT 0, critiques_accepted INTEGER DEFAULT 0, critiques_total INTEGER DEFAULT 0,
               updated_at TEXT DEFAULT CURRENT_TIMESTAMP)`);
    const insert = db.prepare(
      "INSERT INTO ratings (agent_name, elo, domain_elos, wins, updated_at) VALUES (?, 1500, '{}', CAST(? AS INTEGER), '2026-01-15 10:23:45')",
    );
    for (const [agent, w] of Object.entries(wins)) insert.run(agent, w);
    db.close();
  }
  return dir;
}

async function winsIn(url: string): Promise<Record<string, string>> {
  return withPg(url, async (c) =>
    Object.fromEntries(
      (await c.query<{ a: string; w: string }>('SELECT agent_name AS a, wins::text AS w FROM elo_ratings')).rows.map(
        (r) => [r.a, r.w],
      ),
    ),
  );
}

const refusal = async (p: Promise<MigrateReport>): Promise<{ code?: string; exitCode?: number; message: string }> =>
  (await p.then(
    (r) => ({ exitCode: r.exitCode, message: r.message, code: r.error?.code ?? undefined }),
    (e: unknown) => e as { code?: string; exitCode?: number; message: string },
  )) as { code?: string; exitCode?: number; message: string };

describe('merged counters past their column', () => {
  for (const c of [
    { label: "the tool's bigint column", app: false, first: '9223372036854775000', second: '1000' },
    { label: "the app's integer column", app: true, first: '2000000000', second: '2000000000' },
  ])
    it(`${c.label}: plan blocks the second instance and migrate refuses it before anything is loaded`, async () => {
      const db = await createTestDatabase('merge_overflow');
      try {
        if (c.app) await withPg(db.url, (client) => initializeLikeApp(client, ELO_APP));
        const a = ratings('overflow-a', ['agent_elo.db'], { claude: c.first, gpt4: '5' });
        expect((await migrate(a, db.url, { instance: 'a' })).exitCode).toBe(0);
        const b = ratings('overflow-b', ['agent_elo.db'], { gpt4: '7', claude: c.second, gemini: '1' });
        const plan = await runPlan({
          config: loadConfig({ dataDir: b, databaseUrl: db.url, instance: 'b' }, {}),
          mappings,
        });
        expect(plan.exitCode).toBe(5);
        expect(
          plan.findings.filter((f) => f.action === 'block').map((f) => [f.kind, f.code, f.count, f.exampleKeys]),
        ).toEqual([['merge_overflow', 'TARGET_MERGE_OUT_OF_RANGE', 1, ['claude']]]);

        const refused = await refusal(migrate(b, db.url, { instance: 'b' }));
        expect(refused).toMatchObject({ code: 'TARGET_MERGE_OUT_OF_RANGE', exitCode: 5 });
        expect(refused.message).toMatch(/wins .*\(the first: claude\); nothing was loaded/);
        expect(await winsIn(db.url)).toEqual({ claude: c.first, gpt4: '5' });
        await withPg(db.url, async (client) =>
          expect((await client.query("SELECT 1 FROM aragora_migrate.runs WHERE instance = 'b'")).rowCount).toBe(0),
        );
      } finally {
        await db.drop();
      }
    });

  for (const c of [
    {
      label: 'a weighted mean (elo, by debates_count)',
      column: 'elo',
      type: 'double precision',
      set: 'elo = CAST(? AS REAL)',
      big: '1e308',
      fits: '1e307',
    },
    {
      label: "a merge of JSON objects' numbers (domain_elos, by debates_count)",
      column: 'domain_elos',
      type: 'jsonb',
      set: `domain_elos = '{"math": ' || ? || '}'`,
      big: '1e308',
      fits: '1e307',
    },
  ])
    it(`${c.label} whose products pass double precision: plan blocks the second instance and migrate refuses it before anything is loaded; one that fits merges`, async () => {
      /** Instance data whose one agent holds `value` in the column, with two debates. */
      const instance = (name: string, value: string, debates: number): string => {
        const dir = ratings(name, ['agent_elo.db'], { claude: '1' });
        const file = new Database(join(dir, 'agent_elo.db'));
        file.prepare(`UPDATE ratings SET ${c.set}, debates_count = ?`).run(value, debates);
        file.close();
        return dir;
      };
      const planB = (dir: string, url: string) =>
        runPlan({ config: loadConfig({ dataDir: dir, databaseUrl: url, instance: 'b' }, {}), mappings });
      const db = await createTestDatabase('merge_overflow_float');
      try {
        // 1e308 x 2 passes double precision's largest value.
        expect((await migrate(instance('float-a', c.big, 2), db.url, { instance: 'a' })).exitCode).toBe(0);
        const b = instance('float-b', '1500', 1);
        const plan = await planB(b, db.url);
        expect(plan.exitCode).toBe(5);
        expect(
          plan.findings
            .filter((f) => f.action === 'block')
            .map((f) => [f.kind, f.code, f.count, f.exampleKeys, f.message.includes(`${c.column} ${c.type}`)]),
        ).toEqual([['merge_overflow', 'TARGET_MERGE_OUT_OF_RANGE', 1, ['claude'], true]]);
        const refused = await refusal(migrate(b, db.url, { instance: 'b' }));
        expect(refused).toMatchObject({ code: 'TARGET_MERGE_OUT_OF_RANGE', exitCode: 5 });
        expect(refused.message).toMatch(
          new RegExp(`rows whose ${c.column} .*\\(the first: claude\\); nothing was loaded`),
        );
      } finally {
        await db.drop();
      }
      const fits = await createTestDatabase('merge_float_fits');
      try {
        expect((await migrate(instance('fit-a', c.fits, 2), fits.url, { instance: 'a' })).exitCode).toBe(0);
        const b = instance('fit-b', '1500', 1);
        expect((await planB(b, fits.url)).exitCode).toBe(0);
        expect((await migrate(b, fits.url, { instance: 'b' })).exitCode).toBe(0);
      } finally {
        await fits.drop();
      }
    });

  it('two files of one run whose weighted means pass double precision (elo by debates_count): plan blocks the second file and migrate refuses the run, fresh or over a first instance; means that fit merge', async () => {
    /** A data dir whose files each hold claude's elo and debates, in order. */
    const both = (name: string, rows: readonly (readonly [string, number])[]): string => {
      const dir = ratings(name, ['agent_elo.db', 'analytics.db'], { claude: '1' });
      ['agent_elo.db', 'analytics.db'].forEach((file, n) => {
        const db = new Database(join(dir, file));
        const [elo, debates] = rows[n] as readonly [string, number];
        db.prepare('UPDATE ratings SET elo = CAST(? AS REAL), debates_count = ?').run(elo, debates);
        db.close();
      });
      return dir;
    };
    const plan = (dir: string, url: string, instance: string) =>
      runPlan({ config: loadConfig({ dataDir: dir, databaseUrl: url, instance }, {}), mappings });
    const blocked = (p: Awaited<ReturnType<typeof plan>>) =>
      p.findings.filter((f) => f.action === 'block').map((f) => [f.file, f.kind, f.code, f.count, f.exampleKeys]);
    const cases = [
      // Fresh: the second file's merge takes 1e308 x 2 from the first file's row.
      {
        label: 'fresh',
        first: null,
        files: [
          ['1e308', 2],
          ['1500', 1],
        ] as const,
      },
      // Over instance a's 7e307 (1 debate): each file alone merges within range (1.3e308 and
      // 1.2e308), but the second meets the first's merge, weighted by 2 debates: 1.3e308 + 5e307.
      {
        label: 'over a',
        first: '7e307',
        files: [
          ['6e307', 1],
          ['5e307', 1],
        ] as const,
      },
    ];
    for (const c of cases) {
      const db = await createTestDatabase('merge_weighted_files');
      try {
        if (c.first !== null) {
          const a = ratings('weighted-a', ['agent_elo.db'], { claude: '1' });
          const file = new Database(join(a, 'agent_elo.db'));
          file.prepare('UPDATE ratings SET elo = CAST(? AS REAL), debates_count = 1').run(c.first);
          file.close();
          expect((await migrate(a, db.url, { instance: 'a' })).exitCode).toBe(0);
        }
        const dir = both(`weighted-${c.label}`, c.files);
        const p = await plan(dir, db.url, 'b');
        expect([c.label, p.exitCode, blocked(p)]).toEqual([
          c.label,
          5,
          [['analytics.db', 'merge_overflow', 'TARGET_MERGE_OUT_OF_RANGE', 1, ['claude']]],
        ]);
        const run = await refusal(migrate(dir, db.url, { instance: 'b' }));
        expect(run).toMatchObject({ code: 'TARGET_MERGE_OUT_OF_RANGE', exitCode: 5 });
        expect(run.message).toMatch(/^analytics\.db ratings: rows whose elo .*nothing was loaded/);
      } finally {
        await db.drop();
      }
    }
    const fits = await createTestDatabase('merge_weighted_fit');
    try {
      // 4e307 in both files: the products add up to 8e307, within range.
      const dir = both('weighted-fit', [
        ['4e307', 1],
        ['4e307', 1],
      ]);
      expect((await plan(dir, fits.url, 'a')).exitCode).toBe(0);
      expect((await migrate(dir, fits.url, { instance: 'a' })).exitCode).toBe(0);
      await withPg(fits.url, async (c) =>
        expect((await c.query('SELECT elo, debates_count::int AS d FROM elo_ratings')).rows).toEqual([
          { elo: 4e307, d: 2 },
        ]),
      );
    } finally {
      await fits.drop();
    }
  });

  it('two files of one run whose float sums pass double precision together (domain_calibration.brier_sum): plan blocks them and migrate refuses them before the run', async () => {
    const db = await createTestDatabase('merge_float_files');
    try {
      const dir = join(tempDir('float-files'), 'data');
      mkdirSync(dir);
      for (const file of ['agent_elo.db', 'analytics.db']) {
        const src = new Database(join(dir, file));
        src.exec(`CREATE TABLE domain_calibration (agent_name TEXT NOT NULL, domain TEXT NOT NULL, total_predictions INTEGER DEFAULT 0,
                    total_correct INTEGER DEFAULT 0, brier_sum REAL DEFAULT 0.0, updated_at TEXT DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (agent_name, domain));
                  INSERT INTO domain_calibration VALUES ('claude', 'math', 3, 2, 1e308, '2026-01-15 10:23:45'), ('gpt4', 'math', 1, 1, 0.5, '2026-01-15 10:23:45');`);
        src.close();
      }
      const plan = await runPlan({
        config: loadConfig({ dataDir: dir, databaseUrl: db.url, instance: 'a' }, {}),
        mappings,
      });
      expect(plan.exitCode).toBe(5);
      expect(
        plan.findings
          .filter((f) => f.action === 'block')
          .map((f) => [f.file, f.kind, f.code, f.count, f.exampleKeys, f.message.includes('brier_sum')]),
      ).toEqual([['analytics.db', 'merge_overflow', 'TARGET_MERGE_OUT_OF_RANGE', 1, ['["claude","math"]'], true]]);
      const run = await refusal(migrate(dir, db.url, { instance: 'a' }));
      expect(run).toMatchObject({ code: 'TARGET_MERGE_OUT_OF_RANGE', exitCode: 5 });
      expect(run.message).toMatch(/^analytics\.db domain_calibration: rows whose brier_sum .*nothing was loaded/);
    } finally {
      await db.drop();
    }
  });

  it('two files of one run whose counters pass bigint together: plan blocks them and migrate refuses them before the run (TARGET_MERGE_OUT_OF_RANGE, exit 5); counters that fit merge', async () => {
    const db = await createTestDatabase('merge_overflow_files');
    try {
      const dir = ratings('overflow-files', ['agent_elo.db', 'analytics.db'], {
        claude: '9223372036854775000',
        gpt4: '5',
      });
      const plan = await runPlan({
        config: loadConfig({ dataDir: dir, databaseUrl: db.url, instance: 'a' }, {}),
        mappings,
      });
      expect(plan.exitCode).toBe(5);
      expect(
        plan.findings.filter((f) => f.action === 'block').map((f) => [f.file, f.kind, f.code, f.count, f.exampleKeys]),
      ).toEqual([['analytics.db', 'merge_overflow', 'TARGET_MERGE_OUT_OF_RANGE', 1, ['claude']]]);
      // Before, the load stopped at the second file, the first one loaded; now nothing is loaded.
      const run = await refusal(migrate(dir, db.url, { instance: 'a' }));
      expect(run).toMatchObject({ code: 'TARGET_MERGE_OUT_OF_RANGE', exitCode: 5 });
      expect(run.message).toMatch(
        /^analytics\.db ratings: rows whose wins .*\(the first: claude\); nothing was loaded/,
      );
      await withPg(db.url, async (client) => {
        expect((await client.query("SELECT to_regclass('elo_ratings') IS NULL AS gone")).rows[0]).toEqual({
          gone: true,
        });
        expect((await client.query('SELECT 1 FROM aragora_migrate.runs')).rowCount).toBe(0);
      });
    } finally {
      await db.drop();
    }
    const fits = await createTestDatabase('merge_files_fit');
    try {
      // The same two files with counters whose sum fits: plan says GO and migrate adds them up.
      const dir = ratings('fit-files', ['agent_elo.db', 'analytics.db'], { claude: '4611686018427387000', gpt4: '5' });
      const plan = await runPlan({
        config: loadConfig({ dataDir: dir, databaseUrl: fits.url, instance: 'a' }, {}),
        mappings,
      });
      expect(plan.exitCode).toBe(0);
      expect((await migrate(dir, fits.url, { instance: 'a' })).exitCode).toBe(0);
      expect(await winsIn(fits.url)).toEqual({ claude: '9223372036854774000', gpt4: '10' });
    } finally {
      await fits.drop();
    }
  });
});
