import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreArchivedFiles } from '../../../../src/pipeline/archive/archive.js';
import type { ArchiveManifest } from '../../../../src/pipeline/archive/archive-manifest.js';
import { fingerprint, REPO_ROOT, tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import {
  archiveArgs,
  archiveCli as archive,
  liveArchiveRows,
  migrate,
  verifyRun,
  withPg,
} from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';
import type { ArchiveReport } from '../../../../src/report/archive-report.js';

const ROOT = REPO_ROOT;
/** Files in a generated data dir that are not SQLite, so no run reads them and archive leaves them. */
const NOT_IN_RUN = ['empty.db', 'notes.db'];

async function runState(url: string): Promise<{ runId: string; state: string }> {
  return withPg(url, async (c) => {
    const r = await c.query<{ run_id: string; state: string }>('SELECT run_id, state FROM aragora_migrate.runs');
    expect(r.rows).toHaveLength(1);
    return { runId: r.rows[0]?.run_id ?? '', state: r.rows[0]?.state ?? '' };
  });
}

function pick(all: Record<string, string>, keep: (path: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(all).filter(([p]) => keep(p)));
}

const isManifest = (p: string): boolean => p.startsWith('aragora-migrate-manifest-');

describe('archive a verified run', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });
  const backup = join(tempDir('backup'), 'aragora-test-a');
  let db: TestDatabase;
  let before: Record<string, string>;
  let archived: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('archive');
    const report = await migrate(m.dir, db.url);
    // Rejected rows make the exit 3; the run itself verified clean.
    expect(report.exitCode).toBe(3);
    expect((await runState(db.url)).state).toBe('verified');
    before = fingerprint(m.dir);
    archived = pick(before, (p) => !NOT_IN_RUN.includes(p));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('moves each .db with its -wal and -shm, byte-identical, with a manifest, into a 0700 backup dir', async () => {
    expect(Object.keys(archived)).toEqual(
      expect.arrayContaining([
        'agent_elo.db',
        'agent_elo.db-wal',
        'agent_elo.db-shm',
        'continuum_memory.db-wal',
        'genesis.db',
      ]),
    );
    const jsonFile = join(tempDir('archive-json'), 'report.json');
    const res = archive(m.dir, db.url, backup, ['--json', jsonFile]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/11 file\(s\) archived/);

    expect(fingerprint(m.dir)).toEqual(pick(before, (p) => NOT_IN_RUN.includes(p)));
    const inBackup = fingerprint(backup);
    expect(pick(inBackup, (p) => !isManifest(p))).toEqual(archived);
    expect(statSync(backup).mode & 0o777).toBe(0o700);

    const { runId } = await runState(db.url);
    const manifestFile = Object.keys(inBackup).find(isManifest) ?? '';
    expect(manifestFile).toBe(`aragora-migrate-manifest-${runId}.json`);
    const manifest = JSON.parse(readFileSync(join(backup, manifestFile), 'utf8')) as ArchiveManifest;
    expect(manifest).toMatchObject({ runId, instance: 'test-a', dataDir: m.dir, backupDir: backup });
    expect(Date.parse(manifest.writtenAt)).not.toBeNaN();
    expect(Object.fromEntries(manifest.files.map((f) => [f.path, f.sha256]))).toEqual(archived);
    for (const f of manifest.files) expect(f.sizeBytes, f.path).toBe(statSync(join(backup, f.path)).size);

    const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as ArchiveReport;
    expect(report).toMatchObject({ command: 'archive', runId, exitCode: 0, state: 'archived', backupDir: backup });
    expect(report.files.every((f) => f.outcome === 'archived')).toBe(true);
    expect(await liveArchiveRows(db.url)).toEqual(archived);
  });

  it('a second run is a no-op that says so', () => {
    const inBackup = fingerprint(backup);
    const res = archive(m.dir, db.url, backup);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/already archived in .*: nothing to do/);
    expect(fingerprint(backup)).toEqual(inBackup);
    expect(fingerprint(m.dir)).toEqual(pick(before, (p) => NOT_IN_RUN.includes(p)));
  });

  it('never prints the password of the DSN', () => {
    const url = new URL(db.url);
    url.password = 'sekret-pw';
    const res = archive(m.dir, url.toString(), backup);
    expect(`${res.stdout}${res.stderr}`).not.toContain('sekret-pw');
  });

  it('restoreArchivedFiles puts every file back byte-identical, and again is a no-op', async () => {
    const { runId } = await runState(db.url);
    const result = await withPg(db.url, (c) => restoreArchivedFiles(c, runId, m.dir));
    expect(result.restored.sort()).toEqual(Object.keys(archived).sort());
    expect(result.alreadyInPlace).toEqual([]);
    expect(fingerprint(m.dir)).toEqual(before);
    expect(fingerprint(backup)).toEqual({});
    expect(await liveArchiveRows(db.url)).toEqual({});
    expect(await withPg(db.url, (c) => restoreArchivedFiles(c, runId, m.dir))).toEqual({
      restored: [],
      alreadyInPlace: [],
    });
  });

  it('restoreArchivedFiles finishes a restore killed halfway: files already back are kept, a leftover partial file goes', async () => {
    expect(archive(m.dir, db.url, backup).code).toBe(0);
    const { runId } = await runState(db.url);
    // As a restore killed after putting genesis.db back and while copying agent_elo.db leaves it.
    copyFileSync(join(backup, 'genesis.db'), join(m.dir, 'genesis.db'));
    writeFileSync(join(m.dir, '.agent_elo.db.aragora-migrate-partial'), 'half a file');
    const result = await withPg(db.url, (c) => restoreArchivedFiles(c, runId, m.dir));
    expect(result.alreadyInPlace).toEqual(['genesis.db']);
    expect(result.restored).toHaveLength(Object.keys(archived).length - 1);
    expect(fingerprint(m.dir)).toEqual(before);
  });

  it('restoreArchivedFiles refuses a corrupt backup copy, naming it, and moves nothing of it', async () => {
    expect(archive(m.dir, db.url, backup).code).toBe(0);
    const { runId } = await runState(db.url);
    const copy = join(backup, 'genesis.db');
    const bytes = readFileSync(copy);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(copy, bytes);
    await expect(withPg(db.url, (c) => restoreArchivedFiles(c, runId, m.dir))).rejects.toMatchObject({
      code: 'ROLLBACK_ARCHIVE_CORRUPT',
      file: 'genesis.db',
    });
    expect(existsSync(join(m.dir, 'genesis.db'))).toBe(false);
    expect(readdirSync(m.dir).filter((f) => f.includes('aragora-migrate-partial'))).toEqual([]);
  });
});

describe('archive refuses, before moving anything', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });
  const backup = join(tempDir('backup'), 'b');
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('archive_refuse');
    await migrate(m.dir, db.url, { verify: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  /** Runs archive expecting exit 5 and the code; checks that nothing moved. */
  function refused(code: string, extra: string[] = [], dir = backup): string {
    const was = fingerprint(m.dir);
    const res = archive(m.dir, db.url, dir, extra);
    expect(res.code, res.stderr).toBe(5);
    expect(res.stderr).toContain(`error ${code}:`);
    expect(res.stderr).toMatch(/hint: /);
    expect(fingerprint(m.dir)).toEqual(was);
    expect(existsSync(backup) ? fingerprint(backup) : {}).toEqual({});
    return res.stderr;
  }

  it('a run that is not verified', async () => {
    expect((await runState(db.url)).state).toBe('loaded');
    expect(refused('ARCHIVE_NOT_VERIFIED')).toMatch(/is loaded, not verified/);
    const verified = await verifyRun(m.dir, db.url);
    expect(verified.exitCode).toBe(0);
    expect((await runState(db.url)).state).toBe('verified');
  });

  it('a file another process holds open, even read-only, naming the process', async () => {
    const file = join(m.dir, 'agent_elo.db');
    const child = spawn(
      process.execPath,
      ['-e', `require('fs').openSync(${JSON.stringify(file)}, 'r'); console.log('open'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      expect(refused('ARCHIVE_FILE_BUSY')).toContain(`pid ${child.pid ?? -1}`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a file that is a link out of the data dir', () => {
    const outside = join(tempDir('outside'), 'genesis.db');
    renameSync(join(m.dir, 'genesis.db'), outside);
    symlinkSync(outside, join(m.dir, 'genesis.db'));
    try {
      expect(refused('ARCHIVE_UNSAFE_PATH')).toMatch(/genesis\.db resolves to .*outside the data dir/);
    } finally {
      unlinkSync(join(m.dir, 'genesis.db'));
      renameSync(outside, join(m.dir, 'genesis.db'));
    }
  });

  it('a backup dir inside the data dir', () => {
    expect(refused('ARCHIVE_UNSAFE_PATH', [], join(m.dir, 'backup'))).toMatch(/inside the data dir/);
    expect(existsSync(join(m.dir, 'backup'))).toBe(false);
  });

  it('a backup dir that already holds a different file of that name', () => {
    const other = join(tempDir('backup-other'), 'b');
    mkdirSync(other);
    writeFileSync(join(other, 'genesis.db'), 'another instance’s genesis.db');
    const was = fingerprint(m.dir);
    const res = archive(m.dir, db.url, other);
    expect(res.code, res.stderr).toBe(5);
    expect(res.stderr).toMatch(/ARCHIVE_BACKUP_MISMATCH: .*already holds a different genesis\.db/);
    expect(fingerprint(m.dir)).toEqual(was);
    expect(Object.keys(fingerprint(other))).toEqual(['genesis.db']);
  });

  it('a source file written after its verified run, naming the file', () => {
    const sdb = new Database(join(m.dir, 'genesis.db'));
    sdb.prepare("UPDATE genomes SET name = name || ' (renamed)' WHERE rowid = (SELECT min(rowid) FROM genomes)").run();
    sdb.close();
    expect(refused('ARCHIVE_SOURCE_CHANGED')).toMatch(/genesis\.db changed after run \S+ read and verified it/);
  });
});

interface Child {
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  readonly exited: () => boolean;
  kill(sig: NodeJS.Signals): void;
}

function startArchive(dataDir: string, url: string, backupDir: string): Child {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...archiveArgs(dataDir, url, backupDir)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.on('exit', (code, signal) => {
        exited = true;
        resolve({ code, signal, stdout, stderr });
      }),
  );
  return { done, exited: () => exited, kill: (sig) => child.kill(sig) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('a killed archive finishes when run again', () => {
  // Big files (memory.db is about 40 MB), so copies take long enough to be killed in.
  const m = makeInstance({ layout: 'consolidated', instance: 'a', scale: 30 });
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('archive_kill');
    await migrate(m.dir, db.url);
    expect((await runState(db.url)).state).toBe('verified');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('kill -9 at several instants (preflight, mid-copy, between copies, while removing), then rerun: the same end state as one clean archive', async () => {
    const before = fingerprint(m.dir);
    const archived = pick(before, (p) => !NOT_IN_RUN.includes(p));
    expect(Object.keys(archived)).toEqual(expect.arrayContaining(['memory.db', 'memory.db-wal', 'memory.db-shm']));
    const isRunFile = (f: string): boolean => f in archived;
    const { runId } = await runState(db.url);
    const log: string[] = [];

    // Each round archives under kill -9 until one attempt finishes by itself, then
    // checks, then restores the files for the next round with other random instants.
    for (let round = 0; round < 3; round++) {
      const backup = join(tempDir('backup-kill'), 'b');
      const triggers: { name: string; ready: (data0: number, copied0: number) => boolean; jitterMs: number }[] = [
        { name: 'from start', ready: () => true, jitterMs: 1500 },
        {
          name: 'mid-copy',
          ready: () => listing(backup).some((f) => f.endsWith('.aragora-migrate-partial')),
          jitterMs: 20,
        },
        {
          name: 'after a copy',
          ready: (_d, copied0) => listing(backup).filter(isRunFile).length > copied0,
          jitterMs: 100,
        },
        { name: 'while removing', ready: (data0) => listing(m.dir).filter(isRunFile).length < data0, jitterMs: 5 },
      ];
      for (const t of triggers) {
        const data0 = listing(m.dir).filter(isRunFile).length;
        const copied0 = listing(backup).filter(isRunFile).length;
        const child = startArchive(m.dir, db.url, backup);
        const deadline = Date.now() + 30_000;
        while (!child.exited() && !t.ready(data0, copied0) && Date.now() < deadline) await sleep(2);
        const jitter = Math.floor(Math.random() * t.jitterMs);
        await sleep(jitter);
        child.kill('SIGKILL');
        const res = await child.done;
        log.push(
          `round ${round} ${t.name} +${jitter} ms: ${res.signal ?? `exit ${res.code}`} (data dir ${listing(m.dir).filter(isRunFile).length}, backup ${listing(backup).length})`,
        );
        if (res.signal === null) {
          expect(res.code, `${res.stderr}\n${log.join('\n')}`).toBe(0);
          break;
        }
      }
      const final = await startArchive(m.dir, db.url, backup).done;
      expect(final.code, `${final.stderr}\n${log.join('\n')}`).toBe(0);

      expect(fingerprint(m.dir), log.join('\n')).toEqual(pick(before, (p) => NOT_IN_RUN.includes(p)));
      const inBackup = fingerprint(backup);
      expect(
        Object.keys(inBackup).filter((p) => !isRunFile(p)),
        log.join('\n'),
      ).toEqual([`aragora-migrate-manifest-${runId}.json`]);
      expect(pick(inBackup, isRunFile), log.join('\n')).toEqual(archived);
      const manifest = JSON.parse(
        readFileSync(join(backup, `aragora-migrate-manifest-${runId}.json`), 'utf8'),
      ) as ArchiveManifest;
      expect(manifest.files.map((f) => f.path).sort()).toEqual(Object.keys(archived).sort());
      expect(await liveArchiveRows(db.url)).toEqual(archived);
      const again = await startArchive(m.dir, db.url, backup).done;
      expect(again.stdout).toMatch(/nothing to do/);

      await withPg(db.url, (c) => restoreArchivedFiles(c, runId, m.dir));
      expect(fingerprint(m.dir)).toEqual(before);
    }
  });
});
