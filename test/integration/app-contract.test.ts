import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { FixtureManifest } from '../../fixtures/generate.js';
import { loadConfig } from '../../src/config/load-config.js';
import { runPlan } from '../../src/pipeline/plan/plan.js';
import { APP_STORES, initializeLikeApp, type AppStoreKey } from '../helpers/aragora-app/schemas.js';
import { ALL_APP_STATEMENTS, type AppStatement } from '../helpers/aragora-app/statements.js';
import { shapeDifferences, tableShape, type ShapeDifference } from '../helpers/catalog.js';
import { makeInstance } from '../helpers/fixtures.js';
import { mappings, migrate, withPg } from '../helpers/migrate.js';
import { createTestDatabase, useTestDatabase } from '../helpers/pg.js';

/**
 * Aragora runs on the result. Its own PostgreSQL stores (ELO, insights,
 * continuum, consensus) must start on the migrated database and every one of
 * their statements must work on the migrated rows, whichever came first: the
 * tool's tables (then the app's `initialize()` applies its schema on top) or
 * the app's (then the tool loads into them). The app's DDL and statements are
 * Aragora's own, copied verbatim (test/helpers/aragora-app/).
 */

const A = makeInstance({ layout: 'legacy', instance: 'a' });
const B = makeInstance({ layout: 'consolidated', instance: 'b', oldContinuum: true });

/** plan with the DSN, then migrate: the same exit code and the same rejected rows per table; migrate's own verify passes. */
async function planThenMigrate(m: FixtureManifest, url: string, instance: string): Promise<void> {
  const plan = await runPlan({ config: loadConfig({ dataDir: m.dir, databaseUrl: url, instance }, {}), mappings });
  const run = await migrate(m.dir, url, { instance });
  expect(run.state).toBe('loaded');
  expect([0, 3], run.message).toContain(run.exitCode);
  expect(run.exitCode, 'plan predicts migrate').toBe(plan.exitCode);
  const rejected = (tables: readonly { source: { file: string; table: string }; rowsRejected: number }[]): string[] =>
    tables
      .filter((t) => t.rowsRejected > 0)
      .map((t) => `${t.source.file} ${t.source.table}: ${t.rowsRejected}`)
      .sort();
  expect(rejected(run.tables), 'rows rejected, per table').toEqual(rejected(plan.tables));
  expect(
    run.verification?.ok,
    JSON.stringify(
      run.verification?.tables.filter((t) => t.mismatches.length > 0).map((t) => [t.target, t.mismatches.slice(0, 3)]),
    ),
  ).toBe(true);
}

/** PostgresStore.initialize() of every store, as the app runs it at start: it must not fail. */
async function appStarts(url: string): Promise<string[]> {
  return withPg(url, async (c) => {
    const out: string[] = [];
    for (const store of APP_STORES) out.push(`${store.module}: ${(await initializeLikeApp(c, store)).action}`);
    return out;
  });
}

function statement(store: AppStoreKey, method: string, n = 0): AppStatement {
  const found = ALL_APP_STATEMENTS.filter((s) => s.store === store && s.method === method)[n];
  if (found === undefined) throw new Error(`no statement ${store}.${method}[${n}]`);
  return found;
}

async function one<T extends pg.QueryResultRow>(c: pg.Client, sql: string, params: unknown[] = []): Promise<T> {
  const r = await c.query<T>(sql, params);
  const row = r.rows[0];
  if (row === undefined) throw new Error(`no row for ${sql}`);
  return row;
}

/**
 * The statements the app runs, on rows the migration brought: a match and a
 * rating update, a dissent stored and one acknowledged on a migrated
 * consensus, a memory promoted, a full-text search that finds migrated
 * insights by a word of their title, new rows past the migrated ids, and
 * cascades from migrated parents.
 */
async function appWorksOnMigratedRows(url: string, label: string): Promise<void> {
  await withPg(url, async (c) => {
    // ELO: a new match gets an id past every migrated one; a migrated rating is updated.
    const maxMatch = Number((await one<{ m: string }>(c, 'SELECT max(id)::text AS m FROM elo_matches')).m);
    const match = statement('elo', 'save_match');
    const saved = await c.query<{ id: number }>(match.sql, [`contract-${label}`, ...match.params.slice(1)]);
    expect(Number(saved.rows[0]?.id)).toBeGreaterThan(maxMatch);
    const agent = (await one<{ a: string }>(c, 'SELECT agent_name AS a FROM elo_ratings ORDER BY agent_name LIMIT 1'))
      .a;
    const update = statement('elo', 'update_elo');
    expect((await c.query(update.sql, [agent, 1600.25, ['security'], 1610.5])).rowCount).toBe(1);
    const history = statement('elo', 'save_elo_history');
    await c.query(history.sql, [agent, ...history.params.slice(1)]);

    // Consensus: store a dissent on a migrated consensus, acknowledge a migrated dissent.
    const consensus = (
      await one<{ id: string }>(
        c,
        'SELECT c.id FROM consensus c WHERE EXISTS (SELECT 1 FROM dissent d WHERE d.debate_id = c.id) ORDER BY c.id LIMIT 1',
      )
    ).id;
    const store = statement('consensus', 'store_dissent');
    const newDissent = `contract-dissent-${label}`;
    await c.query(store.sql, [newDissent, consensus, ...store.params.slice(2)]);
    const back = statement('consensus', 'store_dissent', 1);
    expect((await c.query(back.sql, [JSON.stringify([newDissent]), consensus])).rowCount).toBe(1);
    const migrated = await one<{ id: string; reasoning: string | null; data_reasoning: string | null }>(
      c,
      "SELECT id, reasoning, data->>'reasoning' AS data_reasoning FROM dissent WHERE id <> $1 AND NOT acknowledged AND data ? 'reasoning' ORDER BY id LIMIT 1",
      [newDissent],
    );
    // The columns SQLite keeps only inside data were filled from it.
    expect(migrated.reasoning).toBe(migrated.data_reasoning);
    const ack = statement('consensus', 'acknowledge_dissent');
    expect((await c.query(ack.sql, ['Seen and answered', '"Seen and answered"', migrated.id])).rowCount).toBe(1);
    expect(await one(c, 'SELECT acknowledged, rebuttal FROM dissent WHERE id = $1', [migrated.id])).toEqual({
      acknowledged: true,
      rebuttal: 'Seen and answered',
    });

    // Continuum: promote a migrated memory, in the app's transaction.
    const memory = (
      await one<{ id: string }>(
        c,
        "SELECT id FROM continuum_memory m WHERE tier = 'slow' AND NOT EXISTS (SELECT 1 FROM continuum_memory_archive a WHERE a.id = m.id) ORDER BY id LIMIT 1",
      )
    ).id;
    await c.query('BEGIN');
    await c.query(statement('continuum', 'promote', 0).sql, [memory]);
    await c.query(statement('continuum', 'promote', 1).sql, ['medium', new Date(), memory]);
    await c.query(statement('continuum', 'promote', 2).sql, [memory, 'slow', 'medium', 0.9]);
    await c.query('COMMIT');
    expect((await one<{ tier: string }>(c, 'SELECT tier FROM continuum_memory WHERE id = $1', [memory])).tier).toBe(
      'medium',
    );

    // Insights: the app's full-text search finds migrated insights by a word of their title.
    const insight = await one<{ id: string; word: string }>(
      c,
      `SELECT id, (regexp_match(title, '([A-Za-z]{6,})'))[1] AS word FROM insights WHERE title ~ '[A-Za-z]{6,}' AND id NOT LIKE 'debate-%' ORDER BY id LIMIT 1`,
    );
    const search = statement('insights', 'search');
    const sql = search.sql.replace(
      ' AND type = $2 AND agents_involved @> $3::jsonb ORDER BY created_at DESC LIMIT $4',
      ' ORDER BY created_at DESC LIMIT $2',
    );
    const found = await c.query<{ id: string }>(sql, [insight.word, 1000]);
    expect(found.rows.map((r) => r.id)).toContain(insight.id);

    // Cascades from migrated parents: their migrated children go with them.
    const kids = Number(
      (await one<{ n: string }>(c, 'SELECT count(*) AS n FROM dissent WHERE debate_id = $1', [consensus])).n,
    );
    expect(kids).toBeGreaterThan(1);
    expect((await c.query('DELETE FROM consensus WHERE id = $1', [consensus])).rowCount).toBe(1);
    expect((await one<{ n: string }>(c, 'SELECT count(*) AS n FROM dissent WHERE debate_id = $1', [consensus])).n).toBe(
      '0',
    );
    const summary = (
      await one<{ id: string }>(
        c,
        'SELECT s.debate_id AS id FROM debate_summaries s WHERE EXISTS (SELECT 1 FROM agent_performance_history h WHERE h.debate_id = s.debate_id) ORDER BY 1 LIMIT 1',
      )
    ).id;
    await c.query('DELETE FROM debate_summaries WHERE debate_id = $1', [summary]);
    expect(
      (
        await one<{ n: string }>(c, 'SELECT count(*) AS n FROM agent_performance_history WHERE debate_id = $1', [
          summary,
        ])
      ).n,
    ).toBe('0');
    const withTransitions = (
      await one<{ id: string }>(
        c,
        'SELECT memory_id AS id FROM tier_transitions t WHERE EXISTS (SELECT 1 FROM continuum_memory m WHERE m.id = t.memory_id) ORDER BY 1 LIMIT 1',
      )
    ).id;
    await c.query(statement('continuum', 'delete', 2).sql, [withTransitions]);
    expect(
      (
        await one<{ n: string }>(c, 'SELECT count(*) AS n FROM tier_transitions WHERE memory_id = $1', [
          withTransitions,
        ])
      ).n,
    ).toBe('0');

    // A new row with a key the app enforces and no parent is refused, as in the app's own schema.
    await expect(
      c.query(store.sql, [`contract-orphan-${label}`, 'no-such-consensus', ...store.params.slice(2)]),
    ).rejects.toMatchObject({ code: '23503' });
  });
}

/** Every statement of the four stores, in the order a store's methods run them, each must succeed. */
async function everyStatementRuns(url: string): Promise<void> {
  await withPg(url, async (c) => {
    for (const s of ALL_APP_STATEMENTS) {
      await c.query(s.sql, s.params).catch((err: unknown) => {
        throw new Error(`${s.store}.${s.method} (line ${s.line}): ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  });
}

/** The rows of the documented table of differences from Aragora's DDL (docs/aragora-schema.md, "Differences from Aragora's own DDL"). */
function documentedDifferences(): Map<string, { real: string[]; bigint: string[]; added: string[] }> {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'aragora-schema.md'), 'utf8');
  const section = readme.slice(readme.indexOf("## Differences from Aragora's own DDL"));
  const out = new Map<string, { real: string[]; bigint: string[]; added: string[] }>();
  const list = (cell: string | undefined): string[] =>
    (cell ?? '')
      .split(',')
      .map((x) => x.replaceAll('`', '').trim())
      .filter((x) => x !== '' && x !== '—');
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const cells = line.split('|').map((x) => x.trim());
    if (cells.length < 6 || !/^`\w+`$/.test(cells[1] ?? '')) continue;
    out.set((cells[1] as string).replaceAll('`', ''), {
      real: list(cells[2]),
      bigint: list(cells[3]),
      added: list(cells[4]),
    });
  }
  return out;
}

/**
 * The tool's tables against the app's, as the app's own DDL creates them in
 * an empty database: every difference is one docs/aragora-schema.md lists (a widened
 * type, a SQLite column the app lacks), or a foreign key added NOT VALID over
 * orphans the run kept.
 */
async function expectOnlyDocumentedDifferences(url: string): Promise<void> {
  const pristine = await createTestDatabase('contract_app_ddl');
  try {
    await appStarts(pristine.url);
    const differences: ShapeDifference[] = [];
    await withPg(pristine.url, (app) =>
      withPg(url, async (tool) => {
        for (const store of APP_STORES) {
          for (const table of store.tables) {
            const a = await tableShape(app, 'public', table);
            const t = await tableShape(tool, 'public', table);
            expect(t, `${table} exists`).not.toBeNull();
            if (a !== null && t !== null) differences.push(...shapeDifferences(table, a, t));
          }
        }
      }),
    );
    const found = new Map<string, { real: string[]; bigint: string[]; added: string[] }>();
    const entry = (t: string): { real: string[]; bigint: string[]; added: string[] } =>
      found.get(t)
      ?? (found.set(t, { real: [], bigint: [], added: [] }).get(t) as {
        real: string[];
        bigint: string[];
        added: string[];
      });
    const notValid: string[] = [];
    const other: ShapeDifference[] = [];
    for (const d of differences) {
      if (d.app.startsWith('real') && d.tool === d.app.replace(/^real/, 'double precision'))
        entry(d.table).real.push(d.object);
      else if (d.app.startsWith('integer') && d.tool === d.app.replace(/^integer/, 'bigint'))
        entry(d.table).bigint.push(d.object);
      else if (d.app === '(none)' && !/fkey|pkey|key$|^idx_/.test(d.object)) entry(d.table).added.push(d.object);
      else if (d.tool === `${d.app} NOT VALID`) notValid.push(d.object);
      else other.push(d);
    }
    expect(other, 'differences docs/aragora-schema.md does not list').toEqual([]);
    const sorted = (m: Map<string, { real: string[]; bigint: string[]; added: string[] }>): unknown =>
      [...m].map(([t, v]) => [t, [...v.real].sort(), [...v.bigint].sort(), [...v.added].sort()]).sort();
    expect(sorted(found)).toEqual(sorted(documentedDifferences()));
    // A key is NOT VALID only where the run kept orphans, and it said so.
    const kept = await withPg(url, async (c) =>
      (
        await c.query<{ object: string }>(
          "SELECT object FROM aragora_migrate.schema_changes WHERE kind = 'add_foreign_key' AND (detail->>'orphans')::int > 0",
        )
      ).rows.map((r) => r.object),
    );
    expect(notValid.sort()).toEqual(kept.sort());
  } finally {
    await pristine.drop();
  }
}

/** What asyncpg hands the app for a result column of each type OID (int2, int4, int8, float4, float8, numeric, bool). */
const PYTHON_TYPE: Readonly<Record<number, string>> = {
  21: 'int',
  23: 'int',
  20: 'int',
  700: 'float',
  701: 'float',
  1700: 'Decimal',
  16: 'bool',
};

/** Each reading statement's result columns, as the Python types asyncpg returns (others by type OID); nothing is kept. */
async function resultTypes(url: string): Promise<Map<string, string>> {
  return withPg(url, async (c) => {
    const out = new Map<string, string>();
    for (const s of ALL_APP_STATEMENTS.filter((x) => x.call === 'fetch' || x.call === 'fetchrow')) {
      await c.query('BEGIN');
      try {
        const r = await c.query(s.sql, s.params);
        for (const f of r.fields)
          out.set(
            `${s.store}.${s.method} (line ${s.line}) ${f.name}`,
            PYTHON_TYPE[f.dataTypeID] ?? `oid ${f.dataTypeID}`,
          );
      } finally {
        await c.query('ROLLBACK');
      }
    }
    return out;
  });
}

describe('the tool first, then the app', () => {
  const db = useTestDatabase('contract_tool_first');

  it("instance a: plan predicts migrate, verify passes, the tables are the app's but for the documented differences", async () => {
    await planThenMigrate(A, db.url, 'inst-a');
    await expectOnlyDocumentedDifferences(db.url);
  });

  it("the app's initial schema applies on top, and the app works on the migrated rows", async () => {
    // Nothing is recorded in _schema_versions: each store runs its whole schema, IF NOT EXISTS, on the tool's tables.
    expect(await appStarts(db.url)).toEqual(APP_STORES.map((s) => `${s.module}: created`));
    await appWorksOnMigratedRows(db.url, 'a');
  });

  it("every reading statement of the app returns the Python types it returns on the app's own tables (a bigint's SUM is a Decimal)", async () => {
    const pristine = await createTestDatabase('contract_app_types');
    try {
      await appStarts(pristine.url);
      const app = await resultTypes(pristine.url);
      const tool = await resultTypes(db.url);
      expect(app.size).toBeGreaterThan(20);
      // Columns only SQLite has (docs/aragora-schema.md) come with SELECT *: extra keys in the app's dicts.
      expect(
        [...tool].filter(([k, t]) => app.has(k) && app.get(k) !== t).map(([k, t]) => `${k}: ${t}, app ${app.get(k)}`),
      ).toEqual([]);
    } finally {
      await pristine.drop();
    }
  });

  it('instance b merges on top: plan predicts, verify passes, the app starts again and works', async () => {
    await planThenMigrate(B, db.url, 'inst-b');
    expect(await appStarts(db.url)).toEqual(APP_STORES.map((s) => `${s.module}: unchanged`));
    await appWorksOnMigratedRows(db.url, 'b');
    await everyStatementRuns(db.url);
  });
});

describe('the app first, then the tool', () => {
  const db = useTestDatabase('contract_app_first');

  it('instance a into the tables the app created: plan predicts migrate, verify passes, the app works', async () => {
    expect(await appStarts(db.url)).toEqual(APP_STORES.map((s) => `${s.module}: created`));
    await planThenMigrate(A, db.url, 'inst-a');
    expect(await appStarts(db.url)).toEqual(APP_STORES.map((s) => `${s.module}: unchanged`));
    await appWorksOnMigratedRows(db.url, 'a');
  });

  it("instance b into the app's tables with a loaded and live on them: the same", async () => {
    await withPg(db.url, async (c) => {
      // The live app writes meanwhile.
      const s = statement('consensus', 'store_consensus');
      await c.query(s.sql, ['written-by-the-live-app', ...s.params.slice(1)]);
    });
    await planThenMigrate(B, db.url, 'inst-b');
    await appWorksOnMigratedRows(db.url, 'b');
    await everyStatementRuns(db.url);
  });
});
