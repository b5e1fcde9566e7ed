import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { silentReporter } from '../../../../src/report/events.js';
import { runVerify } from '../../../../src/pipeline/verify/verify.js';
import type { VerifyReport } from '../../../../src/report/verify-report.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { mappings, migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

/**
 * verify takes the row digests the load computed from the rows it sent
 * (src/pipeline/shared/digest-plan.ts) instead of converting the source again,
 * where that gives the same answer: these tests hold it to that, and to
 * falling back to the source wherever it would not.
 */
const a = makeInstance({ layout: 'legacy', instance: 'a' });
const b = makeInstance({ layout: 'legacy', instance: 'b' });
let db: TestDatabase;

async function verify(dir: string, instance: string, fromSource = false): Promise<VerifyReport> {
  return runVerify({
    config: loadConfig({ dataDir: dir, databaseUrl: db.url, instance }, {}),
    mappings,
    reporter: silentReporter,
    maxKeys: 20,
    fromSource,
  });
}

const loadedTables = (r: VerifyReport): VerifyReport['tables'] => r.tables.filter((t) => t.rowsSource > 0);

describe('verify from the load’s row digests', () => {
  beforeAll(async () => {
    db = await createTestDatabase('load_digest');
    // Small batches: a table's digest is the sum over many batch records.
    const report = await migrate(a.dir, db.url, { instance: 'inst-a', verify: false, batchRows: 7 });
    expect(report.exitCode).toBe(3);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('takes the load’s digests where every row went straight in, and they equal the source converted again', async () => {
    const fromLoad = await verify(a.dir, 'inst-a');
    const fromSource = await verify(a.dir, 'inst-a', true);
    expect(fromLoad.exitCode).toBe(0);
    expect(fromSource.exitCode).toBe(0);
    for (const t of fromSource.tables) expect(t.sourceDigestFrom, t.target).toBe('source');
    const from = new Map(fromLoad.tables.map((t) => [t.target, t.sourceDigestFrom] as const));
    for (const target of ['continuum_memory', 'dissent', 'elo_matches', 'elo_ratings', 'insights'])
      expect(from.get(target), target).toBe('load');
    // Two source tables feed debate_outcomes, and a policy resolved keys they share: those rows are not in
    // any batch as loaded, so only the source can say what they should be.
    expect(from.get('debate_outcomes')).toBe('source');
    const bySource = new Map(fromSource.tables.map((t) => [t.target, t] as const));
    for (const t of fromLoad.tables) {
      const s = bySource.get(t.target);
      expect(t.sourceDigest, t.target).toBe(s?.sourceDigest);
      expect(t.accountedRejected, t.target).toBe(s?.accountedRejected);
      expect(t.rowsSource, t.target).toBe(s?.rowsSource);
    }
    // The fixture holds rows that are rejected on purpose: they are accounted for, not expected.
    const rejectedFromLoad = fromLoad.tables
      .filter((t) => t.sourceDigestFrom === 'load')
      .map((t) => t.accountedRejected);
    expect(rejectedFromLoad.reduce((n, k) => n + k, 0)).toBeGreaterThan(0);
  });

  it('still names a target row changed after the load', async () => {
    const { id, importance } = await withPg(
      db.url,
      async (c) =>
        (
          await c.query<{ id: string; importance: number }>(
            'SELECT id, importance FROM continuum_memory ORDER BY id LIMIT 1',
          )
        ).rows[0] as { id: string; importance: number },
    );
    await withPg(db.url, (c) => c.query('UPDATE continuum_memory SET importance = importance + 1 WHERE id = $1', [id]));
    try {
      const r = await verify(a.dir, 'inst-a');
      // The load's digest no longer matches the target: the keyed pass then converts the source to name the key.
      expect(r.exitCode).toBe(4);
      const t = r.tables.find((x) => x.target === 'continuum_memory');
      expect(t?.mismatches).toContainEqual({ key: id, kind: 'changed', columns: ['importance'] });
    } finally {
      await withPg(db.url, (c) =>
        c.query('UPDATE continuum_memory SET importance = $2 WHERE id = $1', [id, importance]),
      );
    }
  });

  it('takes the digests of a second instance merged through the staging table where the stage changed no row', async () => {
    const merged = await migrate(b.dir, db.url, { instance: 'inst-b', verify: false, batchRows: 7 });
    expect([0, 3]).toContain(merged.exitCode);
    const r = await verify(b.dir, 'inst-b');
    const fromSource = await verify(b.dir, 'inst-b', true);
    expect(r.exitCode).toBe(0);
    expect(fromSource.exitCode).toBe(0);
    // Its tables were not empty when its load began: every batch went through the stage. Where the stage
    // changed rows (a key resolved by a policy, an id re-assigned, a text id kept under a new name), only
    // the source can say what the table should hold; elsewhere the rows landed as sent.
    const from = new Map(loadedTables(r).map((t) => [t.target, t.sourceDigestFrom] as const));
    expect([...from.values()]).toContain('load');
    expect([...from.values()]).toContain('source');
    const bySource = new Map(fromSource.tables.map((t) => [t.target, t] as const));
    for (const t of r.tables) {
      const s = bySource.get(t.target);
      expect(t.sourceDigest, t.target).toBe(s?.sourceDigest);
      expect(t.rowsSource, t.target).toBe(s?.rowsSource);
      expect(t.accountedRejected, t.target).toBe(s?.accountedRejected);
    }
    // The first instance's tables now hold the second's rows too: its own still verify from its load.
    const again = await verify(a.dir, 'inst-a');
    expect(again.exitCode).toBe(0);
    expect(loadedTables(again).some((t) => t.sourceDigestFrom === 'load')).toBe(true);
  });

  it('sets the other instance’s rows apart on the server: counted, not compared, and a change to one is the other run’s', async () => {
    const table = 'continuum_memory';
    const [ra, rb] = [await verify(a.dir, 'inst-a'), await verify(b.dir, 'inst-b')];
    const [ta, tb] = [ra.tables, rb.tables].map((ts) => ts.find((t) => t.target === table));
    const total = await withPg(db.url, async (c) =>
      Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n),
    );
    expect(ta?.otherRuns).toBeGreaterThan(0);
    expect(ta?.otherRuns).toBe(tb?.rowsTarget);
    expect(tb?.otherRuns).toBe(ta?.rowsTarget);
    expect((ta?.rowsTarget ?? 0) + (ta?.otherRuns ?? 0)).toBe(total);

    // A row of instance b, changed in the target: b's verify names it, a's counts it as b's and passes.
    const { id } = await withPg(
      db.url,
      async (c) =>
        (await c.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id DESC LIMIT 1`)).rows[0] as { id: string },
    );
    const owner = await withPg(db.url, async (c) =>
      (
        await c.query<{ run_id: string }>(
          'SELECT DISTINCT b.run_id FROM aragora_migrate.batches b, unnest(b.loaded_keys) AS k WHERE k = $1',
          [id],
        )
      ).rows.map((r) => r.run_id),
    );
    expect(owner).toHaveLength(1);
    const [mine, theirs] = owner[0] === ra.runId ? [a, b] : [b, a];
    await withPg(db.url, (c) => c.query(`UPDATE ${table} SET importance = importance + 1 WHERE id = $1`, [id]));
    try {
      const own = await verify(mine.dir, mine === a ? 'inst-a' : 'inst-b');
      expect(own.exitCode).toBe(4);
      expect(own.tables.find((t) => t.target === table)?.mismatches).toContainEqual({
        key: id,
        kind: 'changed',
        columns: ['importance'],
      });
      const other = await verify(theirs.dir, theirs === a ? 'inst-a' : 'inst-b');
      expect(other.exitCode).toBe(0);
    } finally {
      await withPg(db.url, (c) => c.query(`UPDATE ${table} SET importance = importance - 1 WHERE id = $1`, [id]));
    }
  });

  it('does not take the digests of a load that went past rows: the source is converted, and the rows named', async () => {
    // A load that skipped rows without reading them (as one did for a table with a column named rowid)
    // leaves digests that agree with a target missing those rows: here a batch gone from both.
    const own = await createTestDatabase('load_digest_short');
    try {
      await migrate(a.dir, own.url, { instance: 'inst-a', verify: false, batchRows: 7 });
      const gone = await withPg(own.url, async (c) => {
        const batch = await c.query<{ keys: string[] }>(
          `DELETE FROM aragora_migrate.batches
            WHERE (source_table, batch_no) = (SELECT source_table, max(batch_no) FROM aragora_migrate.batches
                                               WHERE source_table = 'continuum_memory' GROUP BY source_table)
          RETURNING loaded_keys AS keys`,
        );
        const keys = batch.rows[0]?.keys ?? [];
        await c.query('DELETE FROM continuum_memory WHERE id = ANY($1)', [keys]);
        return keys;
      });
      expect(gone.length).toBeGreaterThan(0);
      const r = await runVerify({
        config: loadConfig({ dataDir: a.dir, databaseUrl: own.url, instance: 'inst-a' }, {}),
        mappings,
        reporter: silentReporter,
        maxKeys: 20,
      });
      const t = r.tables.find((x) => x.target === 'continuum_memory');
      expect(t?.sourceDigestFrom).toBe('source');
      expect(t?.missing).toBe(gone.length);
      expect(t?.mismatches.map((m) => m.key).sort()).toEqual([...gone].sort());
      expect(r.exitCode).toBe(4);
    } finally {
      await own.drop();
    }
  });

  it('converts the source again once a file changed since the run, and names the row added to it', async () => {
    const file = 'continuum_memory.db';
    const src = new Database(join(a.dir, file));
    try {
      src
        .prepare(
          "INSERT INTO continuum_memory (id, tier, content, importance, created_at, updated_at) VALUES ('added-after-the-run', 'fast', 'x', 0.5, '2026-01-01T00:00:00', '2026-01-01T00:00:00')",
        )
        .run();
    } finally {
      src.close();
    }
    const r = await verify(a.dir, 'inst-a');
    expect(r.changedFiles).toContain(file);
    const t = r.tables.find((x) => x.target === 'continuum_memory');
    expect(t?.sourceDigestFrom).toBe('source');
    expect(t?.mismatches).toContainEqual({ key: 'added-after-the-run', kind: 'missing' });
    expect(r.exitCode).toBe(4);
  });
});
