import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../../../src/pipeline/plan/plan.js';
import { runRollback } from '../../../../src/pipeline/rollback/rollback.js';
import { createTableSql } from '../../../../src/target/target-ddl.js';
import { loadConfig } from '../../../../src/config/load-config.js';
import { withConflict, writeAutoMapping } from '../../../helpers/auto-mapping.js';
import { tempDir } from '../../../helpers/files.js';
import { migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * Rows distinct in SQLite can share a key once converted: an invalid UTF-8
 * byte or a NUL byte becomes U+FFFD, beside a key that holds U+FFFD itself.
 * When such rows fall in one batch, the later ones meet the earlier one as a
 * key already in the target, and the table's conflict policy settles them in
 * source order, as it settles a key another instance loaded
 * (src/pipeline/migrate/load-table.ts, holdLaterDuplicates). plan counts them
 * alike (src/pipeline/plan/same-keys.ts). Whatever the policy, verify passes
 * and rollback takes the table back to empty.
 */

const FILE = 'notes.db';
const INSTANCE = 'test-a';

/** The rows in source order: [id as SQLite holds it, body]; the ids marked by U+FFFD share a key once converted. */
const ROWS: readonly (readonly [string | Buffer, string])[] = [
  ['plain-1', 'p1'],
  ['pair\uFFFD', 'pair first'],
  ['plain-2', 'p2'],
  [Buffer.from('pair\xff', 'latin1'), 'pair second'],
  ['three\uFFFD', 'three first'],
  [Buffer.from('three\xfe', 'latin1'), 'three second'],
  ['three\u0000', 'three third'],
  ['plain-3', 'p3'],
];

/** The key each row has in PostgreSQL. */
const converted = (id: string | Buffer): string =>
  (Buffer.isBuffer(id) ? id.toString('utf8') : id).replaceAll('\u0000', '\uFFFD');

function makeSource(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, FILE));
  db.exec('CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)');
  const insert = db.prepare('INSERT INTO notes (id, body) VALUES (?, ?)');
  const invalid = db.prepare('INSERT INTO notes (id, body) VALUES (CAST(? AS TEXT), ?)');
  for (const [id, body] of ROWS) (Buffer.isBuffer(id) ? invalid : insert).run(id, body);
  db.close();
}

type Policy = 'keep-existing' | 'overwrite' | 'keep-both' | 'fail';

/** What the table should hold under each policy, worked out from the rows alone. */
function expected(policy: Exclude<Policy, 'fail'>): string[] {
  const out = new Map<string, string>();
  for (const [id, body] of ROWS) {
    const key = converted(id);
    if (!out.has(key)) out.set(key, body);
    else if (policy === 'overwrite') out.set(key, body);
    else if (policy === 'keep-both') {
      let n = 1;
      while (out.has(n === 1 ? `${key}~${INSTANCE}` : `${key}~${INSTANCE}~${n}`)) n++;
      out.set(n === 1 ? `${key}~${INSTANCE}` : `${key}~${INSTANCE}~${n}`, body);
    }
  }
  return [...out].map(([k, v]) => `${k}|${v}`).sort();
}

describe('rows of one batch that share a key once converted', () => {
  const source = tempDir('same-key-source');
  const mappingDir = tempDir('same-key-mappings');

  beforeAll(() => {
    makeSource(source);
    writeAutoMapping(mappingDir, 'notes', 'same key in a batch', join(source, FILE));
  });

  const contents = (url: string): Promise<string[]> =>
    withPg(url, async (c) =>
      (await c.query<{ r: string }>(`SELECT id || '|' || body AS r FROM public.notes`)).rows.map((x) => x.r).sort(),
    );

  for (const policy of ['keep-existing', 'overwrite', 'keep-both'] as const) {
    for (const precreated of [false, true]) {
      it(`${policy}, ${precreated ? 'into a table created beforehand with its key' : 'into a table the run creates'}: settled in source order, verified, rolled back`, async () => {
        const db = await createTestDatabase('same_key');
        try {
          const mappings = withConflict(mappingDir, 'notes', { policy });
          const spec = mappings.bySource.get('notes')?.table;
          if (spec === undefined) throw new Error('no mapping for notes');
          if (precreated) await withPg(db.url, (c) => c.query(createTableSql('public', spec)));

          const plan = await runPlan({
            config: loadConfig({ dataDir: source, databaseUrl: db.url, instance: INSTANCE }, {}),
            mappings,
          });
          const report = await migrate(source, db.url, { mappings, instance: INSTANCE, verify: true });
          expect(report.exitCode, JSON.stringify(report, null, 1).slice(-2000)).toBe(0);
          // plan predicts migrate: the rows the policy settles instead of loading.
          expect(plan.exitCode).toBe(0);
          const counts = (t: { rowsLoaded: number; rowsMerged: number }) => [t.rowsLoaded, t.rowsMerged];
          expect(plan.tables.map(counts)).toEqual(report.tables.map(counts));
          expect(report.tables[0]?.rowsMerged).toBe(policy === 'keep-both' ? 0 : 3);
          expect(report.verification?.ok).toBe(true);
          expect(await contents(db.url)).toEqual(expected(policy));

          const rolledBack = await runRollback({
            config: loadConfig({ databaseUrl: db.url }, {}),
            mappings,
            runId: report.runId,
            force: false,
            dryRun: false,
            lockTimeoutSeconds: 10,
            maxKeys: 20,
          });
          expect(rolledBack.exitCode, rolledBack.message).toBe(0);
          const left = await withPg(db.url, async (c) =>
            (await c.query(`SELECT to_regclass('public.notes') IS NULL AS gone`)).rows[0].gone
              ? []
              : await contents(db.url),
          );
          expect(left).toEqual([]);
        } finally {
          await db.drop();
        }
      });
    }
  }

  it('fail: refuses before the run, with the keys the rows share, as plan says; nothing is loaded', async () => {
    const db = await createTestDatabase('same_key');
    try {
      const mappings = withConflict(mappingDir, 'notes', { policy: 'fail' });
      const plan = await runPlan({
        config: loadConfig({ dataDir: source, databaseUrl: db.url, instance: INSTANCE }, {}),
        mappings,
      });
      expect(plan.exitCode).toBe(5);
      expect(plan.findings.find((f) => f.kind === 'key_conflict')).toMatchObject({
        action: 'block',
        code: 'TARGET_CONFLICT',
        count: 3,
        exampleKeys: ['pair\uFFFD', 'three\uFFFD'],
      });
      // The load stopped at the batch that held the second row, with the batches before it kept.
      await expect(migrate(source, db.url, { mappings, instance: INSTANCE })).rejects.toMatchObject({
        code: 'TARGET_CONFLICT',
        message: expect.stringMatching(
          /notes: rows whose key an earlier row of the table has once converted, and its conflict policy is fail \(the first: pair\uFFFD, three\uFFFD, three\uFFFD\); nothing was loaded/,
        ) as unknown,
      });
      await withPg(db.url, async (c) => {
        expect((await c.query("SELECT to_regclass('notes') AS t")).rows[0]?.t).toBeNull();
        expect((await c.query("SELECT to_regclass('aragora_migrate.runs') AS t")).rows[0]?.t).not.toBeNull();
        expect((await c.query('SELECT count(*)::int AS n FROM aragora_migrate.runs')).rows[0]?.n).toBe(0);
      });
    } finally {
      await db.drop();
    }
  });
});
