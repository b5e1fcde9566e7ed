import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappingSet } from '../../../../src/mapping/load.js';
import { createTableSql } from '../../../../src/target/target-ddl.js';
import { withConflict, writeAutoMapping } from '../../../helpers/auto-mapping.js';
import { tempDir } from '../../../helpers/files.js';
import { migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

/**
 * A table the run creates for one source table is loaded without its keys,
 * which are added once its rows are in (src/pipeline/migrate/load-tables.ts,
 * keysAdded). Rows distinct in SQLite can share a key in PostgreSQL once
 * converted (here invalid UTF-8 bytes the default policy replaces): adding the key then
 * fails, and the table is loaded again with its key in place. The result must
 * be what a table created with its keys gets.
 */

const FILE = 'notes.db';
const ROWS = 300;

function makeSource(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, FILE));
  db.exec('CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT, n INTEGER UNIQUE)');
  const insert = db.prepare('INSERT INTO notes (id, body, n) VALUES (?, ?, ?)');
  const invalid = db.prepare('INSERT INTO notes (id, body, n) VALUES (CAST(? AS TEXT), ?, ?)');
  db.transaction(() => {
    // Two keys holding U+FFFD itself, in the first batch...
    insert.run('early-1\uFFFD', 'kept', 0);
    insert.run('early-2\uFFFD', 'kept', 1);
    for (let i = 2; i < ROWS; i++) insert.run(`note-${i}`, `body ${i}`, i);
    // ...and, in the last, the same keys once converted: an invalid UTF-8 byte, which the default policy
    // replaces by U+FFFD. Distinct bytes in SQLite, one key in PostgreSQL.
    invalid.run(Buffer.from('early-1\xff', 'latin1'), 'incoming', ROWS);
    invalid.run(Buffer.from('early-2\xfe', 'latin1'), 'incoming', ROWS + 1);
  })();
  db.close();
}

describe('keys added after the load', () => {
  const mappingDir = tempDir('keys-after-mappings');
  const source = tempDir('keys-after-source');
  const dbs: TestDatabase[] = [];
  let mappings: MappingSet;
  let failing: MappingSet;

  beforeAll(async () => {
    makeSource(source);
    writeAutoMapping(mappingDir, 'notes', 'keys after load', join(source, FILE));
    mappings = withConflict(mappingDir, 'notes', { policy: 'keep-existing', reason: 'the test says which' });
    failing = withConflict(mappingDir, 'notes', { policy: 'fail', reason: 'the test says which' });
    dbs.push(await createTestDatabase('keys_after'), await createTestDatabase('keys_after'));
  });
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  const spec = () => {
    const s = mappings.bySource.get('notes')?.table;
    if (s === undefined) throw new Error('no mapping for notes');
    return s;
  };

  async function contents(url: string): Promise<string[]> {
    return withPg(url, async (c) =>
      (await c.query<{ r: string }>('SELECT row(t.*)::text AS r FROM public.notes t ORDER BY 1')).rows.map((x) => x.r),
    );
  }

  async function constraints(url: string): Promise<string[]> {
    return withPg(url, async (c) =>
      (
        await c.query<{ c: string }>(
          "SELECT conname || ' ' || pg_get_constraintdef(oid) AS c FROM pg_constraint WHERE conrelid = 'public.notes'::regclass ORDER BY 1",
        )
      ).rows.map((x) => x.c),
    );
  }

  it('loads again with the key in place when rows share a key once converted, as a table created with its keys', async () => {
    const [fresh, precreated] = dbs as [TestDatabase, TestDatabase];
    // The table as the run would create it, with its keys, before the run: loaded the way tables were before.
    await withPg(precreated.url, (c) => c.query(createTableSql('public', spec())));

    const before = await migrate(source, precreated.url, { mappings, batchRows: 100, verify: true });
    expect(before.exitCode, JSON.stringify(before, null, 1).slice(-1500)).toBe(0);
    const report = await migrate(source, fresh.url, { mappings, batchRows: 100, verify: true });
    expect(report.exitCode, JSON.stringify(report, null, 1).slice(-3000)).toBe(0);

    // Every source row accounted for once: the first attempt left nothing behind in the table or the ledger.
    expect(await contents(fresh.url)).toEqual(await contents(precreated.url));
    expect((await contents(fresh.url)).length).toBeGreaterThanOrEqual(ROWS);
    const ledger = (url: string) =>
      withPg(
        url,
        async (c) =>
          (
            await c.query<{ read: string; loaded: string; merged: string; conflicts: string }>(
              `SELECT (SELECT sum(rows_read) FROM aragora_migrate.batches)::text AS read,
                    (SELECT sum(rows_loaded) FROM aragora_migrate.batches)::text AS loaded,
                    (SELECT sum(rows_merged) FROM aragora_migrate.batches)::text AS merged,
                    (SELECT count(*) FROM aragora_migrate.conflicts)::text AS conflicts`,
            )
          ).rows[0],
      );
    expect(await ledger(fresh.url)).toEqual(await ledger(precreated.url));
    expect((await ledger(fresh.url))?.read).toBe(String(ROWS + 2));

    // The keys the application's schema expects, under the names CREATE TABLE gives them.
    expect(await constraints(fresh.url)).toEqual(await constraints(precreated.url));
    expect(await constraints(fresh.url)).toEqual(['notes_pkey PRIMARY KEY (id)']);
  });

  it('refuses as a table created with its keys does when the conflict policy is fail', async () => {
    const fresh = await createTestDatabase('keys_after');
    const precreated = await createTestDatabase('keys_after');
    dbs.push(fresh, precreated);
    await withPg(precreated.url, (c) => c.query(createTableSql('public', spec())));
    // Both before the run is created, as plan says (src/pipeline/migrate/fail-conflicts.ts).
    const refusal = async (url: string): Promise<unknown> =>
      migrate(source, url, { mappings: failing, batchRows: 100 }).then(
        (r) => `exit ${r.exitCode}: ${r.message ?? ''}`,
        (err: unknown) => err,
      );
    const before = await refusal(precreated.url);
    expect(before).toMatchObject({ code: 'TARGET_CONFLICT' });
    expect(await refusal(fresh.url)).toEqual(before);
  });

  it('adds the keys of a table whose rows all have their own', async () => {
    const db = await createTestDatabase('keys_after');
    dbs.push(db);
    const clean = tempDir('keys-after-clean');
    mkdirSync(clean, { recursive: true });
    const src = new Database(join(clean, FILE));
    src.exec('CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT, n INTEGER UNIQUE)');
    for (let i = 0; i < 50; i++) src.prepare('INSERT INTO notes VALUES (?, ?, ?)').run(`k${i}`, 'b', i);
    src.close();
    const report = await migrate(clean, db.url, { mappings, verify: true });
    expect(report.exitCode).toBe(0);
    expect(await constraints(db.url)).toEqual(['notes_pkey PRIMARY KEY (id)']);
    expect((await contents(db.url)).length).toBe(50);
    // The key is in force for whatever writes next (the application, a second instance's merge).
    await expect(
      withPg(db.url, (c) => c.query("INSERT INTO public.notes (id, body, n) VALUES ('k1', 'again', 999)")),
    ).rejects.toThrow(/duplicate key/);
  });
});
