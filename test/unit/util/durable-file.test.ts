import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestPath, sameFiles, type ArchiveManifest } from '../../../src/pipeline/archive/archive-manifest.js';
import {
  commitPartial,
  copyToPartial,
  ensureDirDurably,
  partialPathFor,
  writeFileDurably,
} from '../../../src/util/durable-file.js';
import { tempDir } from '../../helpers/files.js';

describe('durable file moves', () => {
  it('copies through a hidden partial file, hashing what it read, keeping mode and mtime; commit puts it in place', async () => {
    const dir = tempDir('durable');
    const from = join(dir, 'x.db');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(from, bytes);
    chmodSync(from, 0o640);
    utimesSync(from, new Date('2026-01-02T03:04:05Z'), new Date('2026-01-02T03:04:05Z'));
    const to = join(ensureDir(join(dir, 'backup')), 'x.db');
    const seen: number[] = [];
    const copy = await copyToPartial(from, to, (done) => seen.push(done));
    expect(copy.partial).toBe(partialPathFor(to));
    expect(existsSync(to)).toBe(false);
    expect(copy.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(seen.at(-1)).toBe(bytes.length);
    commitPartial(copy, to);
    expect(readdirSync(join(dir, 'backup'))).toEqual(['x.db']);
    expect(readFileSync(to).equals(bytes)).toBe(true);
    expect(statSync(to).mode & 0o777).toBe(0o640);
    expect(statSync(to).mtimeMs).toBe(statSync(from).mtimeMs);
  });

  it('a leftover partial file from a killed copy is replaced, not appended to', async () => {
    const dir = tempDir('durable');
    const from = join(dir, 'a');
    writeFileSync(from, 'complete');
    const to = join(dir, 'b');
    writeFileSync(partialPathFor(to), 'half a file from before the kill, longer than the new one');
    commitPartial(await copyToPartial(from, to), to);
    expect(readFileSync(to, 'utf8')).toBe('complete');
    expect(existsSync(partialPathFor(to))).toBe(false);
  });

  it('creates folders with exactly the mode asked, whatever the umask', () => {
    const dir = join(tempDir('durable'), 'a', 'b');
    ensureDirDurably(dir, 0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, '..')).mode & 0o777).toBe(0o700);
  });

  it('writes a small file atomically, leaving no partial file', () => {
    const dir = tempDir('durable');
    writeFileDurably(join(dir, 'm.json'), '{"a":1}\n');
    writeFileDurably(join(dir, 'm.json'), '{"a":2}\n');
    expect(readdirSync(dir)).toEqual(['m.json']);
    expect(readFileSync(join(dir, 'm.json'), 'utf8')).toBe('{"a":2}\n');
  });
});

describe('archive manifest', () => {
  const m: ArchiveManifest = {
    format: 'aragora-migrate-archive/1',
    runId: 'r1',
    instance: 'a',
    host: 'h',
    dataDir: '/d',
    backupDir: '/b',
    toolVersion: '0',
    writtenAt: '2026-01-01T00:00:00.000Z',
    files: [
      { path: 'x.db', sizeBytes: 1, sha256: 'aa' },
      { path: 'x.db-wal', sizeBytes: 2, sha256: 'bb' },
    ],
  };

  it('is named by the run, in the backup dir', () => {
    expect(manifestPath('/b', '20260101T000000Z-web/1-abc')).toBe(
      '/b/aragora-migrate-manifest-20260101T000000Z-web-1-abc.json',
    );
  });

  it('compares by files and bytes, not by time or order', () => {
    expect(sameFiles(m, { ...m, writtenAt: 'later', files: [...m.files].reverse() })).toBe(true);
    expect(sameFiles(m, { ...m, files: [{ path: 'x.db', sizeBytes: 1, sha256: 'cc' }, ...m.files.slice(1)] })).toBe(
      false,
    );
  });
});

function ensureDir(dir: string): string {
  ensureDirDurably(dir, 0o700);
  return dir;
}
