import { appendFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashSourceFile, walContentHash } from '../../../src/source/source-hash.js';
import { sha256File } from '../../../src/util/sha256.js';
import { tempDir } from '../../helpers/files.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('hashSourceFile', () => {
  it('reuses the recorded hash of a file untouched since, and hashes again one written to, whatever its mtime says', async () => {
    const dir = tempDir('source-hash');
    const db = join(dir, 'a.db');
    writeFileSync(db, 'x'.repeat(4096));
    // A file written a moment ago is never trusted by its identity alone.
    expect((await hashSourceFile(db, 'a.db')).identity).toBeNull();
    await sleep(2100);
    const first = await hashSourceFile(db, 'a.db');
    expect(first.identity).not.toBeNull();
    expect(first.sha256).toBe(await sha256File(db));

    // Untouched: the recorded hashes come back without reading the file (a planted hash proves it).
    const planted = { ...first, sha256: 'recorded' };
    expect((await hashSourceFile(db, 'a.db', planted)).sha256).toBe('recorded');

    // Same size, mtime set back: the change time still moves, so the bytes are read again.
    const { mtime } = statSync(db);
    writeFileSync(db, 'y'.repeat(4096));
    utimesSync(db, mtime, mtime);
    const again = await hashSourceFile(db, 'a.db', planted);
    expect(again.sha256).toBe(await sha256File(db));
    expect(again.sha256).not.toBe(first.sha256);

    // A -wal that appears since is a change too.
    await sleep(2100);
    const quiet = await hashSourceFile(db, 'a.db');
    appendFileSync(`${db}-wal`, 'frames');
    const withWal = await hashSourceFile(db, 'a.db', { ...quiet, sha256: 'recorded' });
    expect(withWal.walSha256).toBe(await sha256File(`${db}-wal`));
    expect(withWal.sha256).toBe(await sha256File(db));
  }, 15_000);

  it('hashes an empty -wal, which a reader of a WAL-mode file leaves, as no -wal: the recorded hashes still stand', async () => {
    const dir = tempDir('source-hash-empty-wal');
    const db = join(dir, 'a.db');
    writeFileSync(db, 'x'.repeat(4096));
    await sleep(2100);
    const before = await hashSourceFile(db, 'a.db');
    writeFileSync(`${db}-wal`, '');
    const after = await hashSourceFile(db, 'a.db', { ...before, sha256: 'recorded' });
    expect(after).toMatchObject({ sha256: 'recorded', walBytes: 0, walSha256: null, identity: before.identity });
    // What an earlier version recorded for an empty -wal compares as none; a -wal with bytes is itself.
    expect(walContentHash(await sha256File(`${db}-wal`))).toBeNull();
    appendFileSync(`${db}-wal`, 'frames');
    const frames = await hashSourceFile(db, 'a.db', before);
    expect(frames.walSha256).toBe(await sha256File(`${db}-wal`));
    expect(walContentHash(frames.walSha256)).toBe(frames.walSha256);
  }, 15_000);
});
