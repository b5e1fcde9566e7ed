import { existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type pg from 'pg';
import { findHolders } from '../../source/holders.js';
import { MigrateError } from '../../errors.js';
import { otherClaims, type ArchiveRow } from '../../ledger/archives.js';
import { sha256File } from '../../util/sha256.js';
import { walContentHash, type FileBytes, type FileHash } from '../../source/source-hash.js';

/**
 * What archiving one run means for each of its files, worked out (and every
 * reason to refuse found) before a byte moves. Each file is in one of the
 * states a crash can leave it in, and each state says what is left to do:
 * in the data dir only → copy, record, remove; in both places (killed after
 * the copy) → record if needed, remove; in the backup dir only → record if
 * needed; recorded and gone → done.
 */

export type ArchiveFileKind = 'db' | 'wal' | 'shm';

export interface ArchiveItem {
  /** Relative to the data dir, and to the backup dir. */
  readonly path: string;
  readonly kind: ArchiveFileKind;
  readonly source: string;
  readonly backup: string;
  /** What the archived copy must hash to: the run's hash for a .db or -wal, the current one for a -shm. */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** The original's mtime when it was hashed: archive removes it only if it is still the same. */
  readonly mtimeMs: number;
  /** The original is still in the data dir. */
  readonly inPlace: boolean;
  /** The backup dir already holds a complete copy with `sha256`. */
  readonly backedUp: boolean;
  /** The ledger already lists it as archived in this backup dir. */
  readonly recorded: boolean;
}

export interface ArchivePlanInput {
  readonly runId: string;
  readonly dataDir: string;
  readonly backupDir: string;
  readonly files: readonly FileHash[];
  /** The run's archives rows not restored since. */
  readonly archived: readonly ArchiveRow[];
  /** The files as the run's latest verification, clean, read them (src/ledger/verifications.ts); null: none recorded. */
  readonly verified: readonly FileBytes[] | null;
}

const SIDE: Record<ArchiveFileKind, string> = { db: '', wal: '-wal', shm: '-shm' };

export async function planArchive(client: pg.Client, input: ArchivePlanInput): Promise<ArchiveItem[]> {
  const { dataDir, backupDir } = input;
  refuseBackupInsideDataDir(dataDir, backupDir);
  const elsewhere = input.archived.find((r) => r.backupDir !== backupDir);
  if (elsewhere !== undefined) {
    throw new MigrateError(
      'ARCHIVE_BACKUP_MISMATCH',
      `run ${input.runId} is archived (at least ${elsewhere.path}) in ${elsewhere.backupDir}, not ${backupDir}`,
      {
        hint: `Run archive again with --backup-dir ${elsewhere.backupDir} to finish it there.`,
      },
    );
  }
  const rows = new Map(input.archived.map((r) => [r.path, r] as const));
  const dataRoot = existsSync(dataDir) ? realpathSync(dataDir) : dataDir;

  // Which files: each .db the run read, with its -wal and -shm when present in
  // either place. Cheap checks first, so a refusal costs no hashing.
  const candidates: {
    path: string;
    kind: ArchiveFileKind;
    expected: string | null;
    source: string;
    inPlace: boolean;
  }[] = [];
  for (const f of input.files) refuseUnsafeRelative(f.path);
  const verified = new Map((input.verified ?? []).map((v) => [v.path, v] as const));
  for (const f of await Promise.all(input.files.map((x) => bytesToArchive(x, verified.get(x.path), input)))) {
    for (const kind of ['db', 'wal', 'shm'] as const) {
      const path = `${f.path}${SIDE[kind]}`;
      const source = join(dataDir, path);
      const inPlace = lexists(source);
      const expected = kind === 'db' ? f.sha256 : kind === 'wal' ? walContentHash(f.walSha256) : null;
      if (kind !== 'db' && !inPlace && !rows.has(path) && !(kind === 'wal' && expected !== null)) continue;
      if (inPlace) refuseUnsafeFile(dataRoot, source, path);
      candidates.push({ path, kind, expected, source, inPlace });
    }
  }

  const present = candidates.filter((c) => c.inPlace);
  const holders = findHolders(
    present.map((c) => c.source),
    { anyHandle: true },
  );
  if (holders.length > 0) {
    throw new MigrateError(
      'ARCHIVE_FILE_BUSY',
      `files of run ${input.runId} are open in another process: ${holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ')}; nothing was moved`,
      {
        file: present[0]?.path,
      },
    );
  }

  const items: ArchiveItem[] = [];
  for (const c of candidates) {
    const row = rows.get(c.path);
    const backup = join(backupDir, c.path);
    if (c.inPlace) {
      // An empty -wal is no change (src/source/source-hash.ts): it moves with its database, like a -shm.
      if (c.kind === 'wal' && c.expected === null && statSync(c.source).size > 0) {
        throw new MigrateError(
          'ARCHIVE_SOURCE_CHANGED',
          `${c.path} appeared after run ${input.runId} read its database: the database was written since; nothing was moved`,
          { file: c.path },
        );
      }
      const st = statSync(c.source);
      const now = await sha256File(c.source);
      if (c.expected !== null && now !== c.expected) {
        throw new MigrateError(
          'ARCHIVE_SOURCE_CHANGED',
          `${c.path} changed after run ${input.runId} read and verified it (sha256 ${short(now)}, the run read ${short(c.expected)}); nothing was moved`,
          { file: c.path },
        );
      }
      const backedUp = existsSync(backup) && (await sha256File(backup)) === now;
      if (existsSync(backup) && !backedUp) await refuseForeignBackup(client, input.runId, backupDir, c.path, c.kind);
      items.push({
        path: c.path,
        kind: c.kind,
        source: c.source,
        backup,
        sha256: now,
        sizeBytes: st.size,
        mtimeMs: st.mtimeMs,
        inPlace: true,
        backedUp,
        recorded: row?.sha256 === now,
      });
      continue;
    }
    if (row !== undefined) {
      // Recorded and gone from the data dir: archived. Size, not a hash, keeps a
      // rerun of a finished archive quick; rollback checks the hash when it restores.
      if (!existsSync(backup) || statSync(backup).size !== row.sizeBytes) {
        throw new MigrateError(
          'ARCHIVE_BACKUP_MISMATCH',
          `the ledger says ${c.path} of run ${input.runId} is archived in ${backupDir}, but ${existsSync(backup) ? 'the file there has another size' : 'it is not there'}`,
          { file: c.path },
        );
      }
      items.push({
        path: c.path,
        kind: c.kind,
        source: c.source,
        backup,
        sha256: row.sha256,
        sizeBytes: row.sizeBytes,
        mtimeMs: 0,
        inPlace: false,
        backedUp: true,
        recorded: true,
      });
      continue;
    }
    // Gone from the data dir and not recorded: only a complete copy with the run's hash counts as archived.
    const copy = existsSync(backup) ? await sha256File(backup) : null;
    if (c.expected === null || copy !== c.expected) {
      throw new MigrateError(
        'ARCHIVE_SOURCE_CHANGED',
        `${c.path}, read by run ${input.runId}, is no longer in the data dir ${dataDir}${copy === null ? '' : ', and the file of that name in the backup dir is another one'}`,
        { file: c.path },
      );
    }
    items.push({
      path: c.path,
      kind: c.kind,
      source: c.source,
      backup,
      sha256: copy,
      sizeBytes: statSync(backup).size,
      mtimeMs: 0,
      inPlace: false,
      backedUp: true,
      recorded: false,
    });
  }
  return items;
}

/**
 * Which bytes of a file archive expects: those the run read, or, where a clean
 * verification since read other bytes (SQLite checkpointed the -wal into the
 * .db: the pages moved, no row changed), those, when the .db is now what that
 * verification read. Only then is the .db hashed here, before the cheap checks.
 */
async function bytesToArchive(f: FileHash, v: FileBytes | undefined, input: ArchivePlanInput): Promise<FileBytes> {
  if (v === undefined || (v.sha256 === f.sha256 && v.walSha256 === walContentHash(f.walSha256))) return f;
  const where = [join(input.dataDir, f.path), join(input.backupDir, f.path)].find((p) => existsSync(p));
  return where !== undefined && (await sha256File(where)) === v.sha256 ? v : f;
}

function short(sha: string): string {
  return `${sha.slice(0, 12)}…`;
}

function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Ledger paths come from a database several instances share: only plain relative paths are used. */
export function refuseUnsafeRelative(path: string): void {
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) {
    throw new MigrateError('ARCHIVE_UNSAFE_PATH', `the run lists ${path}, which is not a path inside the data dir`, {
      file: path,
    });
  }
}

/** A link is not followed: moving it would move (or strand) a file that is not the data dir's. */
function refuseUnsafeFile(dataRoot: string, source: string, path: string): void {
  const st = lstatSync(source);
  const real = realpathSync(source);
  if (!real.startsWith(`${dataRoot}${sep}`)) {
    throw new MigrateError(
      'ARCHIVE_UNSAFE_PATH',
      `${path} resolves to ${real}, outside the data dir ${dataRoot}; nothing was moved`,
      { file: path },
    );
  }
  if (st.isSymbolicLink() || !st.isFile()) {
    throw new MigrateError(
      'ARCHIVE_UNSAFE_PATH',
      `${path} is ${st.isSymbolicLink() ? `a symbolic link (to ${real})` : 'not a regular file'}; nothing was moved`,
      { file: path },
    );
  }
}

/** Backups inside the data dir would be found by the next discover and migrated again. */
function refuseBackupInsideDataDir(dataDir: string, backupDir: string): void {
  const data = existsSync(dataDir) ? realpathSync(dataDir) : dataDir;
  const backup = realpathLoose(backupDir);
  const rel = relative(data, backup);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new MigrateError('ARCHIVE_UNSAFE_PATH', `the backup dir ${backupDir} is inside the data dir ${dataDir}`, {
      hint: 'Choose a --backup-dir outside the data dir.',
    });
  }
}

/** realpath of a path that may not exist yet: its nearest existing ancestor resolved, the rest appended. */
function realpathLoose(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(realpathLoose(parent), basename(path));
}

/**
 * A file under the backup name that is not this run's copy. A -shm holds no
 * data (SQLite rebuilds it), so a stale one of ours is replaced; anything
 * else, or a file another run archived there, is refused.
 */
async function refuseForeignBackup(
  client: pg.Client,
  runId: string,
  backupDir: string,
  path: string,
  kind: ArchiveFileKind,
): Promise<void> {
  const claims = await otherClaims(client, runId, backupDir, path);
  if (kind === 'shm' && claims.length === 0) return;
  throw new MigrateError(
    'ARCHIVE_BACKUP_MISMATCH',
    `the backup dir ${backupDir} already holds a different ${path}${claims.length > 0 ? ` (archived by run ${claims.join(', ')})` : ''}; nothing was moved`,
    { file: path },
  );
}
