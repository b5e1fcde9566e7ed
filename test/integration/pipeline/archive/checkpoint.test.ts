import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli.js';
import { fingerprint, tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { archiveCli as archive, liveArchiveRows, migrate, verifyRun } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

/**
 * After a run, an operator looks at a file whose committed rows are still in
 * its -wal with a read-write `sqlite3`. When that session closes, SQLite
 * checkpoints: the -wal's pages move into the .db and the -wal goes. No row
 * changed, but the bytes did, so the run's own hashes no longer match.
 * verify proves the rows from the source; once it passes, archive and
 * migrate take the files as it read them.
 */

const FILE = 'agent_elo.db';

/** What `sqlite3 agent_elo.db 'select count(*) from ratings'` does to the file: a read, then the closing checkpoint. */
function lookReadWrite(path: string): void {
  const rw = new Database(path, { fileMustExist: true });
  rw.prepare('SELECT count(*) FROM ratings').get();
  rw.close();
}

describe('a read-write sqlite3 session checkpoints a file after its run', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });
  const path = join(m.dir, FILE);
  let db: TestDatabase;
  let read: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('checkpoint');
    // Rejected rows make the exit 3; the run itself verified clean.
    expect((await migrate(m.dir, db.url)).exitCode).toBe(3);
    read = fingerprint(m.dir);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    lookReadWrite(path);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('leaves the rows and changes the bytes: archive and migrate refuse, and say to verify', () => {
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(fingerprint(m.dir)[FILE]).not.toBe(read[FILE]);

    const refused = archive(m.dir, db.url, join(tempDir('backup-checkpoint'), 'early'));
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toContain('ARCHIVE_SOURCE_CHANGED');
    expect(refused.stderr).toContain('aragora-migrate verify');
    expect(fingerprint(m.dir)[FILE]).toBeDefined();

    const again = runCli(['migrate', '--data-dir', m.dir, '--database-url', db.url, '--instance', 'test-a', '--quiet']);
    expect(again.code, again.stderr).toBe(5);
    expect(again.stderr).toContain('RUN_ALREADY_MIGRATED');
    expect(again.stderr).toContain('aragora-migrate verify');
  });

  it('verify reads the changed file from the source and passes; then migrate is a no-op and archive moves the file as verified', async () => {
    const verified = await verifyRun(m.dir, db.url);
    expect(verified.exitCode).toBe(0);
    expect(verified.changedFiles).toEqual([FILE]);
    const fromElo = verified.tables.filter((t) => t.sources.some((s) => s.startsWith(`${FILE} `)));
    expect(fromElo.length).toBeGreaterThan(0);
    for (const t of fromElo) expect(t.sourceDigestFrom, t.target).toBe('source');
    const now = fingerprint(m.dir);
    expect(verified.files.find((f) => f.path === FILE)).toEqual({ path: FILE, sha256: now[FILE], walSha256: null });

    const noop = await migrate(m.dir, db.url);
    expect(noop.state).toBe('noop');

    const backup = join(tempDir('backup-checkpoint'), 'b');
    const res = archive(m.dir, db.url, backup);
    expect(res.code, res.stderr).toBe(0);
    const moved = fingerprint(backup);
    expect(moved[FILE]).toBe(now[FILE]);
    expect(moved[`${FILE}-wal`]).toBeUndefined();
    // The file the run read unchanged moves with the bytes it read.
    expect(moved['continuum_memory.db']).toBe(read['continuum_memory.db']);
    expect(moved['continuum_memory.db-wal']).toBe(read['continuum_memory.db-wal']);
    expect(existsSync(path)).toBe(false);
    const recorded = await liveArchiveRows(db.url);
    expect(recorded[FILE]).toBe(now[FILE]);
    expect(recorded[`${FILE}-wal`]).toBeUndefined();
  });
});

describe('a file written after its run', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });
  const path = join(m.dir, FILE);
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('checkpoint_written');
    expect((await migrate(m.dir, db.url)).exitCode).toBe(3);
    lookReadWrite(path);
    const rw = new Database(path, { fileMustExist: true });
    rw.prepare("INSERT INTO ratings (agent_name, updated_at) VALUES ('late-agent', '2026-01-01 00:00:00')").run();
    rw.close();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('fails verify, and archive still refuses it', async () => {
    const verified = await verifyRun(m.dir, db.url);
    expect(verified.exitCode).toBe(4);
    const res = archive(m.dir, db.url, join(tempDir('backup-checkpoint'), 'c'));
    expect(res.code, res.stderr).toBe(5);
    expect(res.stderr).toMatch(/ARCHIVE_NOT_VERIFIED|ARCHIVE_SOURCE_CHANGED/);
    expect(existsSync(path)).toBe(true);
  });
});
