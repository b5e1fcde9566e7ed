import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { archiveCli, migrate, verifyRun } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

/**
 * Opening a WAL-mode file, even read-only, makes SQLite create an empty -wal
 * and a -shm beside it, and they stay: the drained app still running, or an
 * operator's `sqlite3` look at the file between migrate and archive, leaves
 * them. No byte of the database changed, so neither verify nor archive may
 * take it for a write.
 */
describe('a reader leaves an empty -wal beside a file the run read', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });
  const file = 'genesis.db';
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('reader_wal');
    expect((await migrate(m.dir, db.url, { verify: false })).exitCode).toBe(3);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('verify still takes the load’s digests, and archive moves the file with its -wal', async () => {
    const path = join(m.dir, file);
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reader = new Database(path, { readonly: true, fileMustExist: true });
    expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
    reader.prepare('SELECT count(*) FROM sqlite_master').get();
    reader.close();
    expect(statSync(`${path}-wal`).size).toBe(0);

    const verified = await verifyRun(m.dir, db.url);
    expect(verified.exitCode).toBe(0);
    expect(verified.changedFiles).toEqual([]);
    const genesis = verified.tables.filter((t) => t.rowsSource > 0 && t.sources.some((s) => s.startsWith(`${file} `)));
    expect(genesis.map((t) => t.target).sort()).toEqual([
      'active_population',
      'genesis_events',
      'genomes',
      'populations',
    ]);
    for (const t of genesis) expect(t.sourceDigestFrom, t.target).toBe('load');

    const before = fingerprint(m.dir);
    const backup = join(tempDir('backup-reader-wal'), 'b');
    const res = archiveCli(m.dir, db.url, backup);
    expect(res.code, res.stderr).toBe(0);
    const moved = fingerprint(backup);
    for (const side of ['', '-wal', '-shm']) {
      expect(moved[`${file}${side}`], `${file}${side}`).toBe(before[`${file}${side}`]);
      expect(existsSync(`${path}${side}`)).toBe(false);
    }
  });
});
