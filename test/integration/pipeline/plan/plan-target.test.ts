import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { loadBuiltinMappingSet } from '../../../../src/mapping/load.js';
import { runPlan } from '../../../../src/pipeline/plan/plan.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { useTestDatabase } from '../../../helpers/pg.js';

const db = useTestDatabase('plan_target');
const mappings = loadBuiltinMappingSet();

async function sql(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Everything in the database that a plan could have created or changed. */
async function catalogue(): Promise<string> {
  const r =
    await sql(`SELECT n.nspname, c.relname, c.relkind, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2`);
  const rows = await sql('SELECT agent_name, elo, wins FROM public.elo_ratings ORDER BY 1');
  return JSON.stringify([r.rows, rows.rows]);
}

describe('plan with a target database', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });

  it('reads the target: tables present, narrower column types, keys that already exist, and writes nothing', async () => {
    // The app's PostgresEloDatabase DDL: elo is REAL (float4), which rounds SQLite's 8-byte values.
    await sql(`CREATE TABLE public.elo_ratings (agent_name TEXT PRIMARY KEY, elo REAL DEFAULT 1500, domain_elos JSONB DEFAULT '{}',
                 wins INTEGER DEFAULT 0, losses INTEGER DEFAULT 0, draws INTEGER DEFAULT 0, debates_count INTEGER DEFAULT 0,
                 critiques_accepted INTEGER DEFAULT 0, critiques_total INTEGER DEFAULT 0, updated_at TIMESTAMPTZ DEFAULT NOW());
               INSERT INTO public.elo_ratings (agent_name, elo, wins) VALUES ('gpt4', 1500, 3), ('gemini', 1490, 1);`);
    const before = await catalogue();
    const report = await runPlan({ config: loadConfig({ dataDir: m.dir, databaseUrl: db.url }, {}), mappings });
    expect(await catalogue()).toBe(before);

    expect(report.target?.serverVersion).toMatch(/^\d+/);
    const ratings = report.tables.find((t) => t.source.table === 'ratings');
    expect(ratings?.targetState).toMatchObject({ exists: true, rows: 2 });
    expect(ratings?.targetState?.addColumns).toEqual(
      expect.arrayContaining(['calibration_correct', 'calibration_total', 'calibration_brier_sum']),
    );
    expect(report.tables.find((t) => t.source.table === 'matches')?.targetState).toMatchObject({ exists: false });

    // The real column takes float4-rounded values, each a repair with its original kept; int4 holds every count.
    const loss = report.findings.find(
      (f) => f.kind === 'precision_loss' && f.table === 'ratings' && f.column === 'elo',
    );
    expect(loss?.action).toBe('repair');
    expect(loss?.count).toBeGreaterThan(0);
    expect(loss?.exampleKeys.length).toBeGreaterThan(0);
    expect(report.findings.filter((f) => f.table === 'ratings' && f.action === 'block')).toEqual([]);

    const conflict = report.findings.find((f) => f.kind === 'key_conflict' && f.table === 'ratings');
    expect(conflict?.count).toBe(2);
    expect([...(conflict?.exampleKeys ?? [])].sort()).toEqual(['gemini', 'gpt4']);
    expect(conflict?.action).toBe('merge');
    expect(ratings?.rowsMerged).toBe(2);
    expect(ratings?.status).not.toBe('blocked');
    expect(report.exitCode).toBe(3);

    // With --widen-columns the column is widened instead, and plan names the table's size and the lock.
    const widened = await runPlan({
      config: loadConfig({ dataDir: m.dir, databaseUrl: db.url, widenColumns: true }, {}),
      mappings,
    });
    expect(await catalogue()).toBe(before);
    const widen = widened.findings.find(
      (f) => f.kind === 'column_widened' && f.table === 'ratings' && f.column === 'elo',
    );
    expect(widen?.action).toBe('keep');
    expect(widen?.message).toMatch(
      /ALTER TABLE elo_ratings ALTER COLUMN elo TYPE double precision \(from real\) rewrites the table \(2 rows, .*\) under an exclusive lock/,
    );
    expect(widened.findings.filter((f) => f.kind === 'precision_loss' && f.table === 'ratings')).toEqual([]);
    expect(widened.runbook.join('\n')).toMatch(/migrate .*--widen-columns/);
  });

  it('refuses a target column that cannot hold the values at all', async () => {
    await sql(
      `CREATE TABLE public.personas (agent_name TEXT PRIMARY KEY, description TEXT, traits TEXT, expertise TEXT, created_at BOOLEAN, updated_at TEXT)`,
    );
    const report = await runPlan({ config: loadConfig({ dataDir: m.dir, databaseUrl: db.url }, {}), mappings });
    const f = report.findings.find(
      (x) => x.kind === 'type_mismatch' && x.table === 'personas' && x.column === 'created_at',
    );
    expect(f?.action).toBe('block');
    expect(f?.code).toBe('TARGET_INCOMPATIBLE');
    expect(f?.message).toMatch(/boolean/);
  });

  it('says clearly when the target cannot be reached, without the password', async () => {
    const url = new URL(db.url);
    url.port = '1';
    url.password = 'hunter2-secret';
    const err = (await runPlan({
      config: loadConfig({ dataDir: m.dir, databaseUrl: url.toString() }, {}),
      mappings,
    }).catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('TARGET_UNREACHABLE');
    expect(err.message).not.toContain('hunter2-secret');
  });
});
