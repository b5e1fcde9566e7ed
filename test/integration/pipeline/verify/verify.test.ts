import Database from 'better-sqlite3';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { silentReporter } from '../../../../src/report/events.js';
import { runVerify } from '../../../../src/pipeline/verify/verify.js';
import { WORKER_MIN_ROWS } from '../../../../src/pipeline/shared/batch-source.js';
import { LEDGER_VERSION } from '../../../../src/ledger/schema.js';
import { createRun } from '../../../../src/ledger/runs.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { mappings, migrate, verifyRun, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';
import type { VerifyReport } from '../../../../src/report/verify-report.js';

const m = makeInstance({ layout: 'legacy', instance: 'a' });
let db: TestDatabase;

async function verify(): Promise<VerifyReport> {
  return verifyRun(m.dir, db.url);
}

function mismatchesOf(
  report: VerifyReport,
): { target: string; key: string; kind: string; columns: readonly string[] }[] {
  return report.tables.flatMap((t) =>
    t.mismatches.map((x) => ({ target: t.target, key: x.key, kind: x.kind, columns: x.columns ?? [] })),
  );
}

/** Applies a change to the target, verifies, undoes the change. */
async function withChange(
  change: (c: pg.Client) => Promise<void>,
  undo: (c: pg.Client) => Promise<void>,
): Promise<VerifyReport> {
  await withPg(db.url, change);
  try {
    return await verify();
  } finally {
    await withPg(db.url, undo);
  }
}

/** The next double after x: its last bit changed. */
function nextDouble(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}

describe('verify', () => {
  beforeAll(async () => {
    db = await createTestDatabase('verify');
    const report = await migrate(m.dir, db.url, { verify: false });
    expect(report.exitCode).toBe(3);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('exits 0 with matching digests for every table after a clean migration, rejected rows not reported missing', async () => {
    const r = await verify();
    expect(r.exitCode).toBe(0);
    for (const t of r.tables) expect(t.sourceDigest, t.target).toBe(t.targetDigest);
    expect(r.tables.reduce((n, t) => n + t.accountedRejected, 0)).toBe(6);
    expect(mismatchesOf(r)).toEqual([]);
  });

  const row = async (sql: string): Promise<Record<string, unknown>> =>
    withPg(db.url, async (c) => (await c.query(sql)).rows[0] as Record<string, unknown>);

  it('names a deleted row as missing', async () => {
    const { id } = (await row('SELECT id FROM continuum_memory ORDER BY id LIMIT 1')) as { id: string };
    const saved = await row(`SELECT row_to_json(c)::text AS j FROM continuum_memory c WHERE id = '${id}'`);
    const r = await withChange(
      async (c) => void (await c.query('DELETE FROM continuum_memory WHERE id = $1', [id])),
      async (c) =>
        void (await c.query(
          'INSERT INTO continuum_memory SELECT * FROM json_populate_record(NULL::continuum_memory, $1::json)',
          [saved.j],
        )),
    );
    expect(r.exitCode).toBe(4);
    expect(mismatchesOf(r)).toEqual([{ target: 'continuum_memory', key: id, kind: 'missing', columns: [] }]);
  });

  it('names an extra row with a new key, which the application may write: listed, but the run still verifies', async () => {
    const r = await withChange(
      async (c) =>
        void (await c.query(
          "INSERT INTO continuum_memory (id, tier, content) VALUES ('written-by-the-app', 'fast', 'x')",
        )),
      async (c) => void (await c.query("DELETE FROM continuum_memory WHERE id = 'written-by-the-app'")),
    );
    expect(r.exitCode).toBe(0);
    expect(r.message).toMatch(/1 row\(s\) in its tables were written by no run/);
    expect(mismatchesOf(r)).toEqual([
      { target: 'continuum_memory', key: 'written-by-the-app', kind: 'extra', columns: [] },
    ]);
  });

  const changes: {
    name: string;
    table: string;
    column: string;
    pick: string;
    set: (c: pg.Client, key: string) => Promise<void>;
    undo: (c: pg.Client, key: string, old: unknown) => Promise<void>;
    key: string;
    value: string;
  }[] = [
    {
      name: 'one changed character in a text',
      table: 'continuum_memory',
      column: 'content',
      key: 'id',
      value: 'content',
      pick: "SELECT id AS k, content AS v FROM continuum_memory WHERE content NOT LIKE '%\uFFFD%' ORDER BY id LIMIT 1",
      set: async (c, k) =>
        void (await c.query(
          "UPDATE continuum_memory SET content = overlay(content placing 'Z' from 1 for 1) WHERE id = $1",
          [k],
        )),
      undo: async (c, k, v) => void (await c.query('UPDATE continuum_memory SET content = $2 WHERE id = $1', [k, v])),
    },
    {
      name: 'a jsonb value with one nested number changed',
      table: 'elo_matches',
      column: 'scores',
      key: 'debate_id',
      value: 'scores::text',
      pick: "SELECT debate_id AS k, scores::text AS v FROM elo_matches WHERE jsonb_typeof(scores) = 'object' AND scores::text NOT LIKE '%null%' ORDER BY id LIMIT 1",
      set: async (c, k) =>
        void (await c.query(
          'UPDATE elo_matches SET scores = jsonb_set(scores, ARRAY[(SELECT min(x) FROM jsonb_object_keys(scores) x)], to_jsonb((scores ->> (SELECT min(x) FROM jsonb_object_keys(scores) x))::numeric + 0.001)) WHERE debate_id = $1',
          [k],
        )),
      undo: async (c, k, v) =>
        void (await c.query('UPDATE elo_matches SET scores = $2::jsonb WHERE debate_id = $1', [k, v])),
    },
    {
      name: 'a timestamp moved by one microsecond',
      table: 'continuum_memory',
      column: 'created_at',
      key: 'id',
      value: 'created_at',
      pick: 'SELECT id AS k, created_at AS v FROM continuum_memory WHERE created_at IS NOT NULL ORDER BY id LIMIT 1',
      set: async (c, k) =>
        void (await c.query(
          "UPDATE continuum_memory SET created_at = created_at + interval '1 microsecond' WHERE id = $1",
          [k],
        )),
      undo: async (c, k) =>
        void (await c.query(
          "UPDATE continuum_memory SET created_at = created_at - interval '1 microsecond' WHERE id = $1",
          [k],
        )),
    },
    {
      name: 'a double changed in its last bit',
      table: 'continuum_memory',
      column: 'importance',
      key: 'id',
      value: 'importance',
      pick: 'SELECT id AS k, importance AS v FROM continuum_memory WHERE importance IS NOT NULL AND importance > 0 ORDER BY id LIMIT 1',
      set: async (c, k) => {
        const v = Number(
          (
            (await c.query('SELECT importance::text AS v FROM continuum_memory WHERE id = $1', [k])).rows[0] as {
              v: string;
            }
          ).v,
        );
        await c.query('UPDATE continuum_memory SET importance = $2::float8 WHERE id = $1', [k, String(nextDouble(v))]);
      },
      undo: async (c, k, v) =>
        void (await c.query('UPDATE continuum_memory SET importance = $2::float8 WHERE id = $1', [k, String(v)])),
    },
    {
      name: 'a boolean flipped',
      table: 'continuum_memory',
      column: 'red_line',
      key: 'id',
      value: 'red_line',
      pick: 'SELECT id AS k, red_line AS v FROM continuum_memory WHERE red_line IS NOT NULL ORDER BY id LIMIT 1',
      set: async (c, k) =>
        void (await c.query('UPDATE continuum_memory SET red_line = NOT red_line WHERE id = $1', [k])),
      undo: async (c, k) =>
        void (await c.query('UPDATE continuum_memory SET red_line = NOT red_line WHERE id = $1', [k])),
    },
    {
      name: "NULL turned into ''",
      table: 'elo_matches',
      column: 'winner',
      key: 'debate_id',
      value: 'winner',
      pick: 'SELECT debate_id AS k, winner AS v FROM elo_matches WHERE winner IS NULL ORDER BY id LIMIT 1',
      set: async (c, k) => void (await c.query("UPDATE elo_matches SET winner = '' WHERE debate_id = $1", [k])),
      undo: async (c, k) => void (await c.query('UPDATE elo_matches SET winner = NULL WHERE debate_id = $1', [k])),
    },
  ];

  for (const ch of changes) {
    it(`names ${ch.name} as changed, with the column`, async () => {
      const picked = (await row(ch.pick)) as { k: string; v: unknown } | undefined;
      expect(picked, ch.pick).toBeDefined();
      const { k, v } = picked as { k: string; v: unknown };
      const r = await withChange(
        (c) => ch.set(c, k),
        (c) => ch.undo(c, k, v),
      );
      expect(r.exitCode).toBe(4);
      expect(mismatchesOf(r)).toEqual([{ target: ch.table, key: k, kind: 'changed', columns: [ch.column] }]);
      const t = r.tables.find((x) => x.target === ch.table);
      expect(t?.sourceDigest).not.toBe(t?.targetDigest);
    });
  }

  it("without --instance, verifies the data dir's only instance's run; with two instances there, names both", async () => {
    const config = loadConfig({ dataDir: m.dir, databaseUrl: db.url }, {});
    expect(config.instanceGiven).toBe(false);
    const report = await runVerify({ config, mappings, reporter: silentReporter, maxKeys: 20 });
    expect(report.instance).toBe('test-a');
    expect(report.exitCode).toBe(0);
    await withPg(db.url, (c) =>
      createRun(
        c,
        {
          runId: 'other-run',
          instance: 'web-b',
          host: 'h',
          dataDir: m.dir,
          schema: 'public',
          toolVersion: 'x',
          options: {},
        },
        [],
        [],
      ),
    );
    try {
      const refused = runVerify({ config, mappings, reporter: silentReporter, maxKeys: 20 });
      await expect(refused).rejects.toMatchObject({ code: 'VERIFY_NO_RUN' });
      await expect(refused).rejects.toMatchObject({
        hint: expect.stringMatching(/--instance test-a .*--instance web-b|--instance web-b .*--instance test-a/),
      });
      // Named, the instance's own run is found as before.
      const named = await verify();
      expect(named.exitCode).toBe(0);
    } finally {
      await withPg(db.url, async (c) => {
        await c.query("DELETE FROM aragora_migrate.run_files WHERE run_id = 'other-run'");
        await c.query("DELETE FROM aragora_migrate.runs WHERE run_id = 'other-run'");
      });
    }
  });

  it('verifies a run recorded by the previous ledger version, and brings the ledger up to date', async () => {
    await withPg(db.url, async (c) => {
      await c.query('ALTER TABLE aragora_migrate.run_files DROP COLUMN identity');
      await c.query("UPDATE aragora_migrate.meta SET value = '2' WHERE key = 'version'");
    });
    const r = await verify();
    expect(r.exitCode).toBe(0);
    expect(r.changedFiles).toEqual([]);
    const version = await row("SELECT value FROM aragora_migrate.meta WHERE key = 'version'");
    expect(version.value).toBe(String(LEDGER_VERSION));
  });

  it('names a source row changed in SQLite after the run as changed', async () => {
    expect((await verify()).exitCode).toBe(0);
    const sdb = new Database(join(m.dir, 'genesis.db'));
    const genome = sdb.prepare('SELECT genome_id FROM genomes ORDER BY rowid LIMIT 1').pluck().get() as string;
    sdb.prepare("UPDATE genomes SET name = name || ' (renamed)' WHERE genome_id = ?").run(genome);
    sdb.close();
    const r = await verify();
    expect(r.exitCode).toBe(4);
    expect(r.changedFiles).toContain('genesis.db');
    expect(mismatchesOf(r)).toEqual([{ target: 'genomes', key: genome, kind: 'changed', columns: ['name'] }]);
  });
});

describe('verify on tables large enough to be read by several workers', () => {
  // 10,500 continuum rows, past WORKER_MIN_ROWS: the source side is split by rowid range over the cores.
  const big = makeInstance({ layout: 'legacy', instance: 'a', scale: 21 });
  let bigDb: TestDatabase;
  const verifyBig = (): Promise<VerifyReport> =>
    runVerify({
      config: loadConfig({ dataDir: big.dir, databaseUrl: bigDb.url, instance: 'test-a' }, {}),
      mappings,
      reporter: silentReporter,
      maxKeys: 20,
    });

  beforeAll(async () => {
    bigDb = await createTestDatabase('verify_big');
    await migrate(big.dir, bigDb.url, { verify: false });
  }, 120_000);
  afterAll(async () => {
    await bigDb.drop();
  });

  it('counts every source row once and matches the digests', async () => {
    const r = await verifyBig();
    expect(r.exitCode).toBe(0);
    const t = r.tables.find((x) => x.target === 'continuum_memory');
    const sdb = new Database(join(big.dir, 'continuum_memory.db'), { readonly: true });
    const inSource = sdb.prepare('SELECT count(*) FROM continuum_memory').pluck().get() as number;
    sdb.close();
    expect(inSource).toBeGreaterThan(WORKER_MIN_ROWS);
    expect((t?.rowsSource ?? 0) + (t?.accountedRejected ?? 0)).toBe(inSource);
    expect(t?.rowsTarget).toBe(t?.rowsSource);
    expect(t?.sourceDigest).toBe(t?.targetDigest);
  });

  it('names a changed row at each end of the table', async () => {
    const [first, last] = await withPg(bigDb.url, async (c) =>
      (
        await c.query<{ id: string }>(
          '(SELECT id FROM continuum_memory ORDER BY id LIMIT 1) UNION ALL (SELECT id FROM continuum_memory ORDER BY id DESC LIMIT 1)',
        )
      ).rows.map((x) => x.id),
    );
    const r = await (async () => {
      await withPg(bigDb.url, (c) =>
        c.query('UPDATE continuum_memory SET importance = importance + 1 WHERE id = ANY($1)', [[first, last]]),
      );
      try {
        return await verifyBig();
      } finally {
        await withPg(bigDb.url, (c) =>
          c.query('UPDATE continuum_memory SET importance = importance - 1 WHERE id = ANY($1)', [[first, last]]),
        );
      }
    })();
    expect(r.exitCode).toBe(4);
    expect(mismatchesOf(r).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [first, last]
        .sort()
        .map((key) => ({ target: 'continuum_memory', key, kind: 'changed', columns: ['importance'] })),
    );
  });
});
