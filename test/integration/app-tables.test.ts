import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { runPlan } from '../../src/pipeline/plan/plan.js';
import { runRollback } from '../../src/pipeline/rollback/rollback.js';
import { APP_STORES, ELO_APP, initializeLikeApp } from '../helpers/aragora-app/schemas.js';
import { ALL_APP_STATEMENTS } from '../helpers/aragora-app/statements.js';
import { tempDir } from '../helpers/files.js';
import { makeInstance } from '../helpers/fixtures.js';
import { mappings, migrate, withPg } from '../helpers/migrate.js';
import { createTestDatabase } from '../helpers/pg.js';

/**
 * Loading into the application's own tables, and undoing it: columns judged
 * by their values (plan and migrate refuse alike, every column at once, or
 * widen with --widen-columns), and a rollback that neither cascades into the
 * application's rows nor drops a table the application has recorded.
 */

/** An ELO file whose counters pass int4: wins above 2^31, losses below -2^31. */
function bigCounters(): string {
  const dir = join(tempDir('big-counters'), 'data');
  mkdirSync(dir);
  const db = new Database(join(dir, 'agent_elo.db'));
  db.exec(`CREATE TABLE ratings (agent_name TEXT PRIMARY KEY, elo REAL DEFAULT 1500, domain_elos TEXT, wins INTEGER DEFAULT 0, losses INTEGER DEFAULT 0,
             draws INTEGER DEFAULT 0, debates_count INTEGER DEFAULT 0, critiques_accepted INTEGER DEFAULT 0, critiques_total INTEGER DEFAULT 0,
             updated_at TEXT DEFAULT CURRENT_TIMESTAMP);
           INSERT INTO ratings (agent_name, elo, domain_elos, wins, losses, updated_at) VALUES
             ('claude', 1523.456789012, '{"math": 1510.25}', 3000000000, 2, '2026-01-15T10:23:45.123456'),
             ('gpt4', 1490.5, '{}', 1, -3000000000, '2026-01-15 10:23:45'),
             ('gemini', 1500, '{}', 7, 3, '2026-01-16T08:00:00');`);
  db.close();
  return dir;
}

describe('an existing integer column the values do not fit', () => {
  it('plan and migrate refuse with the same code, naming every column at once, before anything is written; --widen-columns widens, records and verifies', async () => {
    const db = await createTestDatabase('app_tables_int4');
    try {
      const dir = bigCounters();
      await withPg(db.url, (c) => initializeLikeApp(c, ELO_APP));
      const plan = await runPlan({
        config: loadConfig({ dataDir: dir, databaseUrl: db.url, instance: 'big' }, {}),
        mappings,
      });
      expect(plan.exitCode).toBe(5);
      const blocks = plan.findings.filter((f) => f.action === 'block');
      expect(blocks.map((f) => [f.column, f.code, f.exampleKeys])).toEqual([
        ['wins', 'TARGET_COLUMN_TOO_NARROW', ['claude']],
        ['losses', 'TARGET_COLUMN_TOO_NARROW', ['gpt4']],
      ]);

      const refused = (await migrate(dir, db.url, { instance: 'big' }).catch((e: unknown) => e)) as {
        code?: string;
        exitCode?: number;
        message: string;
      };
      expect(refused).toMatchObject({ code: 'TARGET_COLUMN_TOO_NARROW', exitCode: 5 });
      expect(refused.message).toMatch(
        /elo_ratings\.wins is integer; 1 source value\(s\) do not fit in it \(e\.g\. claude\)/,
      );
      expect(refused.message).toMatch(/elo_ratings\.losses is integer/);
      await withPg(db.url, async (c) => {
        expect((await c.query('SELECT 1 FROM aragora_migrate.runs')).rowCount).toBe(0);
        expect((await c.query('SELECT 1 FROM elo_ratings')).rowCount).toBe(0);
      });

      const widenPlan = await runPlan({
        config: loadConfig({ dataDir: dir, databaseUrl: db.url, instance: 'big', widenColumns: true }, {}),
        mappings,
      });
      expect(widenPlan.exitCode).toBe(0);
      expect(
        widenPlan.findings
          .filter((f) => f.kind === 'column_widened')
          .map((f) => f.column)
          .sort(),
      ).toEqual(['elo', 'losses', 'wins']);

      const run = await migrate(dir, db.url, { instance: 'big', widenColumns: true });
      expect(run.exitCode).toBe(0);
      expect(run.verification?.ok).toBe(true);
      expect(
        run.findings
          .filter((f) => f.kind === 'column_widened')
          .map((f) => f.column)
          .sort(),
      ).toEqual(['elo', 'losses', 'wins']);
      await withPg(db.url, async (c) => {
        const types = await c.query<{ c: string; t: string }>(
          "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = 'elo_ratings' AND column_name IN ('elo', 'wins', 'losses', 'draws') ORDER BY 1",
        );
        expect(types.rows).toEqual([
          { c: 'draws', t: 'integer' },
          { c: 'elo', t: 'double precision' },
          { c: 'losses', t: 'bigint' },
          { c: 'wins', t: 'bigint' },
        ]);
        expect(
          (await c.query("SELECT wins::text, elo::text FROM elo_ratings WHERE agent_name = 'claude'")).rows,
        ).toEqual([{ wins: '3000000000', elo: '1523.456789012' }]);
        const changes = await c.query<{ object: string; detail: { from: string; to: string } }>(
          "SELECT object, detail FROM aragora_migrate.schema_changes WHERE kind = 'widen_column' ORDER BY object",
        );
        expect(changes.rows.map((r) => `${r.object}: ${r.detail.from} -> ${r.detail.to}`)).toEqual([
          'elo: real -> double precision',
          'losses: integer -> bigint',
          'wins: integer -> bigint',
        ]);
        // The app still starts on the widened table.
        expect(await initializeLikeApp(c, ELO_APP)).toMatchObject({ action: 'unchanged' });
      });
    } finally {
      await db.drop();
    }
  });

  it('--widen-columns on an id the app declared SERIAL widens its sequence too: the load moves it past ids above 2^31, and the app inserts after them', async () => {
    // Before: the sequence stayed integer, moving it past id 3,000,000,000
    // failed (setval: value out of bounds for sequence, exit 1 "internal error").
    const db = await createTestDatabase('app_tables_serial');
    try {
      const dir = join(tempDir('serial-ids'), 'data');
      mkdirSync(dir);
      const src = new Database(join(dir, 'agent_elo.db'));
      src.exec(`CREATE TABLE elo_history (id INTEGER PRIMARY KEY AUTOINCREMENT, agent_name TEXT NOT NULL, elo REAL NOT NULL, debate_id TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP);
                INSERT INTO elo_history (id, agent_name, elo, debate_id, created_at) VALUES
                  (1, 'claude', 1510.5, 'd-1', '2026-01-15 10:23:45'),
                  (3000000000, 'gpt4', 1490.25, 'd-2', '2026-01-15 10:24:45');`);
      src.close();
      await withPg(db.url, (c) => initializeLikeApp(c, ELO_APP));
      const plan = await runPlan({
        config: loadConfig({ dataDir: dir, databaseUrl: db.url, instance: 'serial', widenColumns: true }, {}),
        mappings,
      });
      expect(plan.findings.filter((f) => f.kind === 'column_widened').map((f) => f.column)).toContain('id');
      const run = await migrate(dir, db.url, { instance: 'serial', widenColumns: true });
      expect(run.exitCode, run.message).toBe(plan.exitCode);
      expect(run.exitCode).toBe(0);
      expect(run.verification?.ok).toBe(true);
      await withPg(db.url, async (c) => {
        const inserted = await c.query<{ id: string }>(
          "INSERT INTO elo_history (agent_name, elo, debate_id) VALUES ('gemini', 1500, 'd-3') RETURNING id::text AS id",
        );
        expect(BigInt(inserted.rows[0]?.id ?? '0')).toBeGreaterThan(3000000000n);
      });
    } finally {
      await db.drop();
    }
  });

  it('ids to re-assign with none left in the sequence: plan blocks them and migrate refuses them before the run (TARGET_IDS_EXHAUSTED, exit 5)', async () => {
    const db = await createTestDatabase('app_tables_seq_max');
    try {
      const dir = join(tempDir('seq-max'), 'data');
      mkdirSync(dir);
      const src = new Database(join(dir, 'agent_elo.db'));
      src.exec(`CREATE TABLE elo_history (id INTEGER PRIMARY KEY AUTOINCREMENT, agent_name TEXT NOT NULL, elo REAL NOT NULL, debate_id TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP);
                INSERT INTO elo_history (id, agent_name, elo) VALUES (1, 'claude', 1510.5), (2, 'gpt4', 1490.25);`);
      src.close();
      // The app's rows hold id 1 (which the source's id 1 meets) and the last id of its SERIAL.
      await withPg(db.url, async (c) => {
        await initializeLikeApp(c, ELO_APP);
        await c.query(
          "INSERT INTO elo_history (id, agent_name, elo) VALUES (1, 'grok', 1400), (2147483647, 'mistral', 1450)",
        );
      });
      const plan = await runPlan({
        config: loadConfig({ dataDir: dir, databaseUrl: db.url, instance: 'seqmax' }, {}),
        mappings,
      });
      expect(plan.exitCode).toBe(5);
      expect(
        plan.findings.filter((f) => f.action === 'block').map((f) => [f.kind, f.code, f.count, f.exampleKeys]),
      ).toEqual([['ids_exhausted', 'TARGET_IDS_EXHAUSTED', 1, ['1']]]);
      const refused = (await migrate(dir, db.url, { instance: 'seqmax' }).catch((e: unknown) => e)) as {
        code?: string;
        exitCode?: number;
        message: string;
      };
      expect(refused).toMatchObject({ code: 'TARGET_IDS_EXHAUSTED', exitCode: 5 });
      expect(refused.message).toMatch(/1 row\(s\) whose id elo_history holds would take a new id .*nothing was loaded/);
      await withPg(db.url, async (c) => {
        expect((await c.query('SELECT id FROM elo_history ORDER BY id')).rows.map((r) => String(r.id))).toEqual([
          '1',
          '2147483647',
        ]);
        expect((await c.query('SELECT 1 FROM aragora_migrate.runs')).rowCount).toBe(0);
      });
    } finally {
      await db.drop();
    }
  });

  it('two files of one run whose ids meet, one at the top of the range: plan blocks them and migrate refuses them before the run (TARGET_IDS_EXHAUSTED, exit 5); ids that do not meet load', async () => {
    /** A data dir whose two ELO files both hold elo_history rows with these ids. */
    const twoFiles = (label: string, first: readonly string[], second: readonly string[]): string => {
      const dir = join(tempDir(label), 'data');
      mkdirSync(dir);
      for (const [file, ids] of [
        ['agent_elo.db', first],
        ['analytics.db', second],
      ] as const) {
        const src = new Database(join(dir, file));
        src.exec(
          'CREATE TABLE elo_history (id INTEGER PRIMARY KEY AUTOINCREMENT, agent_name TEXT NOT NULL, elo REAL NOT NULL, debate_id TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP)',
        );
        for (const id of ids)
          src
            .prepare("INSERT INTO elo_history (id, agent_name, elo) VALUES (CAST(? AS INTEGER), 'claude', 1500)")
            .run(id);
        src.close();
      }
      return dir;
    };
    const planOf = (dir: string, url: string) =>
      runPlan({ config: loadConfig({ dataDir: dir, databaseUrl: url, instance: 'seqfiles' }, {}), mappings });
    const db = await createTestDatabase('app_tables_seq_files');
    try {
      // agent_elo.db loads first and leaves the top id in the table the run creates; analytics.db's id 1 meets its id 1.
      const meet = twoFiles('seq-files', ['1', '9223372036854775807'], ['1', '2']);
      const plan = await planOf(meet, db.url);
      expect(plan.exitCode).toBe(5);
      expect(
        plan.findings.filter((f) => f.action === 'block').map((f) => [f.file, f.kind, f.code, f.count, f.exampleKeys]),
      ).toEqual([['analytics.db', 'ids_exhausted', 'TARGET_IDS_EXHAUSTED', 1, ['1']]]);
      // Before, the load stopped at the second file, the first one loaded; now nothing is loaded.
      const refused = (await migrate(meet, db.url, { instance: 'seqfiles' }).catch((e: unknown) => e)) as {
        code?: string;
        exitCode?: number;
        message: string;
      };
      expect(refused).toMatchObject({ code: 'TARGET_IDS_EXHAUSTED', exitCode: 5 });
      expect(refused.message).toMatch(/^analytics\.db elo_history: 1 row\(s\) .* new id .*nothing was loaded/);
      await withPg(db.url, async (c) => {
        expect((await c.query("SELECT to_regclass('elo_history') IS NULL AS gone")).rows[0]).toEqual({ gone: true });
        expect((await c.query('SELECT 1 FROM aragora_migrate.runs')).rowCount).toBe(0);
      });
    } finally {
      await db.drop();
    }
    const fresh = await createTestDatabase('app_tables_seq_apart');
    try {
      // No id of the second file is in the first: none needs a new one, and both files load.
      const apart = twoFiles('seq-apart', ['1', '9223372036854775807'], ['2', '3']);
      expect((await planOf(apart, fresh.url)).exitCode).toBe(0);
      const run = await migrate(apart, fresh.url, { instance: 'seqfiles' });
      expect([run.exitCode, run.verification?.ok]).toEqual([0, true]);
    } finally {
      await fresh.drop();
    }
  });

  it('without --widen-columns a real column takes float4-rounded values, each repair with its original in the ledger', async () => {
    const db = await createTestDatabase('app_tables_float4');
    try {
      const dir = bigCounters();
      await withPg(db.url, async (c) => {
        await initializeLikeApp(c, ELO_APP);
        await c.query('ALTER TABLE elo_ratings ALTER COLUMN wins TYPE bigint, ALTER COLUMN losses TYPE bigint');
      });
      const run = await migrate(dir, db.url, { instance: 'float4' });
      expect(run.exitCode).toBe(0);
      expect(run.verification?.ok).toBe(true);
      await withPg(db.url, async (c) => {
        expect(
          (await c.query("SELECT elo::float8::text AS elo FROM elo_ratings WHERE agent_name = 'claude'")).rows,
        ).toEqual([{ elo: String(Math.fround(1523.456789012)) }]);
        const repairs = await c.query<{ row_key: string; original: unknown }>(
          "SELECT row_key, original FROM aragora_migrate.repairs WHERE kind = 'precision_loss' ORDER BY row_key",
        );
        expect(repairs.rows).toEqual(
          [
            { row_key: 'claude', original: { real: '1523.456789012' } },
            { row_key: 'gpt4', original: { real: '1490.5' } },
          ].filter((r) => Math.fround(Number(r.original.real)) !== Number(r.original.real)),
        );
      });
    } finally {
      await db.drop();
    }
  });
});

describe('rollback on tables the application uses', () => {
  it('refuses to cascade into rows the application wrote under migrated parents, and keeps the tables the application recorded', async () => {
    const db = await createTestDatabase('app_tables_rollback');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const run = await migrate(a.dir, db.url, { instance: 'a' });
      expect(run.state).toBe('loaded');
      const consensus = await withPg(db.url, async (c) => {
        for (const store of APP_STORES) await initializeLikeApp(c, store);
        const parent = (await c.query<{ id: string }>('SELECT id FROM consensus ORDER BY id LIMIT 1')).rows[0]
          ?.id as string;
        const store = ALL_APP_STATEMENTS.find((s) => s.store === 'consensus' && s.method === 'store_dissent') as {
          sql: string;
          params: unknown[];
        };
        await c.query(store.sql, ['written-by-the-app', parent, ...store.params.slice(2)]);
        return parent;
      });
      const opts = {
        config: loadConfig({ databaseUrl: db.url }, {}),
        mappings,
        runId: run.runId,
        lockTimeoutSeconds: 30,
        maxKeys: 20,
      };

      const refused = await runRollback({ ...opts, force: false });
      expect(refused.exitCode).toBe(5);
      const tables = refused.tables.filter((t) => t.changed > 0);
      expect(tables.map((t) => t.target)).toEqual(['consensus']);
      expect(tables[0]?.changedKeys).toEqual([
        `${consensus} (referenced by rows of "public"."dissent" the run did not write: ON DELETE CASCADE would delete them)`,
      ]);
      await withPg(db.url, async (c) =>
        expect((await c.query("SELECT 1 FROM dissent WHERE id = 'written-by-the-app'")).rowCount).toBe(1),
      );

      const forced = await runRollback({ ...opts, force: true });
      expect(forced.state).toBe('rolled-back');
      // Children before parents, and the app's store recorded every table: none is dropped.
      const order = forced.tables.map((t) => t.target);
      expect(order.indexOf('dissent')).toBeLessThan(order.indexOf('consensus'));
      expect(order.indexOf('tier_transitions')).toBeLessThan(order.indexOf('continuum_memory'));
      expect(order.indexOf('agent_performance_history')).toBeLessThan(order.indexOf('debate_summaries'));
      for (const t of forced.tables.filter((x) =>
        ['consensus', 'insights', 'elo_ratings', 'continuum_memory'].includes(x.target),
      )) {
        expect(t.dropped, t.target).toBe(false);
        expect(t.keptBecause, t.target).toMatch(/recorded module .* in "public"\."_schema_versions"|referenced by/);
      }
      // Tables no app store owns are dropped as before.
      expect(forced.tables.find((t) => t.target === 'personas')?.dropped).toBe(true);
      await withPg(db.url, async (c) => {
        expect((await c.query('SELECT 1 FROM consensus')).rowCount).toBe(0);
        // The app starts again on what is left, and works.
        for (const store of APP_STORES)
          expect(await initializeLikeApp(c, store)).toMatchObject({ action: 'unchanged' });
        const s = ALL_APP_STATEMENTS.find((x) => x.store === 'consensus' && x.method === 'store_consensus') as {
          sql: string;
          params: unknown[];
        };
        await c.query(s.sql, s.params);
      });
    } finally {
      await db.drop();
    }
  });
});
