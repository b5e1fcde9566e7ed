import { appendFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashSourceFile } from '../../../src/source/source-hash.js';
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
});
