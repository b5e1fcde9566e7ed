import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type pg from 'pg';
import type { ResolvedConfig } from '../../config/load-config.js';
import { findHolders } from '../../source/holders.js';
import { ConfigError, MigrateError, EXIT } from '../../errors.js';
import { archiveRows, markRestored, recordArchived, withRunFilesLock, type ArchiveRow } from '../../ledger/archives.js';
import { runById, runFiles, type RunRow } from '../../ledger/runs.js';
import { latestRunOfDataDir } from '../shared/find-run.js';
import { ensureLedger, ledgerExists } from '../../ledger/schema.js';
import { cleanlyVerifiedFiles, latestVerificationOk } from '../../ledger/verifications.js';
import {
  commitPartial,
  copyToPartial,
  ensureDirDurably,
  partialPathFor,
  removeDurably,
} from '../../util/durable-file.js';
import { sha256File } from '../../util/sha256.js';
import { VERSION } from '../../version.js';
import { manifestPath, readManifest, sameFiles, writeManifest, type ArchiveManifest } from './archive-manifest.js';
import { planArchive, refuseUnsafeRelative, type ArchiveItem } from './archive-plan.js';
import { connectTarget } from '../../target/connect.js';
import { assertWritable } from '../../target/target-state.js';
import type { ArchivedFileReport, ArchiveReport } from '../../report/archive-report.js';

export interface ArchiveProgress {
  readonly file: string;
  readonly done: number;
  readonly total: number;
}

export interface ArchiveOptions {
  readonly config: ResolvedConfig;
  readonly backupDir: string;
  /** The run to archive; default: this instance's latest run on this data dir and schema. */
  readonly runId?: string;
  /** Bytes copied so far of the file being copied. */
  readonly onProgress?: (p: ArchiveProgress) => void;
}

/** Backups hold the instance's whole state: readable by the operator only. */
const BACKUP_MODE = 0o700;

/**
 * Moves the source files of a verified run (each .db with its -wal and -shm)
 * to the backup dir, with a manifest. Every file goes copy → fsync → rename →
 * fsync folder → re-hash → record in the ledger → remove the original, so a
 * kill at any instant leaves each file in place or archived, and the same
 * command finishes the job.
 *
 * @example
 *   const report = await runArchive({ config: loadConfig({ dataDir: '/app/data', databaseUrl }), backupDir: '/backup/aragora-web-1' });
 */
export async function runArchive(opts: ArchiveOptions): Promise<ArchiveReport> {
  const { config } = opts;
  if (config.target === null)
    throw new ConfigError(
      'CONFIG_DSN_MISSING',
      'archive needs the target PostgreSQL: the ledger there says which run was verified',
    );
  const started = Date.now();
  const backupDir = resolve(opts.backupDir);
  const client = await connectTarget(config.target, `aragora-migrate archive ${config.instance}`.slice(0, 63));
  try {
    if (!(await ledgerExists(client)))
      throw new ConfigError(
        'ARCHIVE_NO_RUN',
        `no migration ledger in ${config.target.display}: nothing was migrated there`,
      );
    await assertWritable(client);
    // Ledgers written before archive existed lack its table.
    await ensureLedger(client);
    const run = await findRun(client, opts.runId, config);
    return await withRunFilesLock(client, run.run_id, () => archiveRun(client, run, backupDir, opts, started));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The archive of one run, under its files lock: plan every file, copy and record each, write the manifest, then remove the originals. */
async function archiveRun(
  client: pg.Client,
  run: RunRow,
  backupDir: string,
  opts: ArchiveOptions,
  started: number,
): Promise<ArchiveReport> {
  await refuseUnverified(client, run);
  const live = (await archiveRows(client, run.run_id)).filter((r) => r.restoredAt === null);
  const items = await planArchive(client, {
    runId: run.run_id,
    dataDir: run.data_dir,
    backupDir,
    files: await runFiles(client, run.run_id),
    archived: live,
    verified: await cleanlyVerifiedFiles(client, run.run_id),
  });
  const work = items.filter((i) => i.inPlace || !i.recorded);
  if (work.length > 0) ensureDirDurably(backupDir, BACKUP_MODE);
  let bytes = 0;
  for (const item of work) {
    if (item.inPlace && !item.backedUp) bytes += await copyToBackup(item, run.run_id, opts.onProgress);
    if (!item.recorded)
      await recordArchived(client, run.run_id, {
        path: item.path,
        backupDir,
        sizeBytes: item.sizeBytes,
        sha256: item.sha256,
      });
  }
  const manifest = manifestPath(backupDir, run.run_id);
  const manifestWritten = ensureManifest(manifest, run, backupDir, items);
  // Only now, with every copy checked and recorded and the manifest written, do originals go.
  removeOriginals(
    run,
    items.filter((i) => i.inPlace),
  );
  const files = items.map((i): ArchivedFileReport => ({
    path: i.path,
    sizeBytes: i.sizeBytes,
    sha256: i.sha256,
    outcome: work.includes(i) ? 'archived' : 'already-archived',
  }));
  const noop = work.length === 0;
  const message = noop
    ? `run ${run.run_id} is already archived in ${backupDir}: nothing to do${manifestWritten ? ' (its missing manifest was written again)' : ''}`
    : `run ${run.run_id}: ${work.length} file(s) archived to ${backupDir}${work.length < items.length ? ` (${items.length - work.length} already were)` : ''}; manifest ${manifest}`;
  return {
    command: 'archive',
    runId: run.run_id,
    instance: run.instance,
    exitCode: EXIT.OK,
    state: noop ? 'noop' : 'archived',
    dataDir: run.data_dir,
    backupDir,
    manifest,
    files,
    bytes,
    seconds: (Date.now() - started) / 1000,
    message,
  };
}

async function findRun(client: pg.Client, runId: string | undefined, config: ResolvedConfig): Promise<RunRow> {
  if (runId === undefined) {
    return latestRunOfDataDir(client, config, 'ARCHIVE_NO_RUN');
  }
  const row = await runById(client, runId);
  if (row === null) throw new ConfigError('ARCHIVE_NO_RUN', `no run ${runId} in the ledger`);
  // The run says where its files are; a --data-dir that says otherwise is a mistake, not an override.
  if (config.dataDirSource === 'flag' && config.dataDir !== row.data_dir) {
    throw new ConfigError('CONFIG_INVALID', `run ${runId} read its files from ${row.data_dir}, not ${config.dataDir}`, {
      hint: 'Leave out --data-dir (the run knows its data dir), or name the run of this data dir.',
    });
  }
  return row;
}

async function refuseUnverified(client: pg.Client, run: RunRow): Promise<void> {
  if (run.state !== 'verified') {
    throw new MigrateError(
      'ARCHIVE_NOT_VERIFIED',
      `run ${run.run_id} is ${run.state}, not verified: its files stay where they are`,
    );
  }
  if ((await latestVerificationOk(client, run.run_id)) === false) {
    throw new MigrateError(
      'ARCHIVE_NOT_VERIFIED',
      `the latest verification of run ${run.run_id} found differences: its files stay where they are`,
    );
  }
}

/** Copies one file into the backup dir and proves the copy; returns the bytes copied. */
async function copyToBackup(
  item: ArchiveItem,
  runId: string,
  onProgress: ArchiveOptions['onProgress'],
): Promise<number> {
  ensureDirDurably(dirname(item.backup), BACKUP_MODE);
  const copy = await copyToPartial(item.source, item.backup, (done, total) =>
    onProgress?.({ file: item.path, done, total }),
  );
  if (copy.sha256 !== item.sha256) {
    rmSync(copy.partial, { force: true });
    throw new MigrateError(
      'ARCHIVE_SOURCE_CHANGED',
      `${item.path} was written while run ${runId} was being archived; it was kept in the data dir`,
      { file: item.path },
    );
  }
  commitPartial(copy, item.backup);
  // Read back what the disk holds, not what was handed to it.
  if ((await sha256File(item.backup)) !== item.sha256) {
    removeDurably(item.backup);
    throw new MigrateError(
      'ARCHIVE_COPY_MISMATCH',
      `the copy of ${item.path} in ${dirname(item.backup)} does not read back as written`,
      { file: item.path },
    );
  }
  return copy.bytes;
}

/** Returns whether it wrote the manifest (a rerun keeps an equal one, with its time). */
function ensureManifest(path: string, run: RunRow, backupDir: string, items: readonly ArchiveItem[]): boolean {
  const manifest: ArchiveManifest = {
    format: 'aragora-migrate-archive/1',
    runId: run.run_id,
    instance: run.instance,
    host: run.host,
    dataDir: run.data_dir,
    backupDir,
    toolVersion: VERSION,
    writtenAt: new Date().toISOString(),
    files: items.map((i) => ({ path: i.path, sizeBytes: i.sizeBytes, sha256: i.sha256 })),
  };
  // A manifest write killed halfway leaves only its partial file; the manifest itself is whole or absent.
  rmSync(partialPathFor(path), { force: true });
  const existing = readManifest(path);
  if (existing !== null && sameFiles(existing, manifest)) return false;
  writeManifest(path, manifest);
  return true;
}

/**
 * A .db goes before its -wal and -shm (the plan lists them in that order):
 * a -wal left without its database is inert, while a database left without
 * its -wal would open without the rows still in the -wal.
 */
function removeOriginals(run: RunRow, items: readonly ArchiveItem[]): void {
  const holders = findHolders(
    items.map((i) => i.source),
    { anyHandle: true },
  );
  if (holders.length > 0) {
    throw new MigrateError(
      'ARCHIVE_FILE_BUSY',
      `files of run ${run.run_id} were opened while being archived, by ${holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ')}; the originals were kept`,
    );
  }
  for (const item of items) {
    const st = statSync(item.source);
    if (st.size !== item.sizeBytes || st.mtimeMs !== item.mtimeMs) {
      throw new MigrateError(
        'ARCHIVE_SOURCE_CHANGED',
        `${item.path} was written while run ${run.run_id} was being archived; it was kept in the data dir`,
        { file: item.path },
      );
    }
    removeDurably(item.source);
  }
}

/**
 * Moves a run's archived files back to their places in `dataDir` (rollback
 * calls it). The mirror of archive: copy to a partial file beside the original
 * name, check the sha256 the ledger recorded, fsync, rename, fsync the folder,
 * then remove the backup copy and mark the row restored. A -wal and -shm go
 * back before their .db, so the database never stands without its -wal. A kill
 * at any instant is finished by calling it again; a file already back (same
 * sha256) only has its backup copy removed.
 */
export async function restoreArchivedFiles(
  client: pg.Client,
  runId: string,
  dataDir: string,
): Promise<{ restored: string[]; alreadyInPlace: string[] }> {
  return withRunFilesLock(client, runId, async () => {
    const all = await archiveRows(client, runId);
    const plan = await planRestore(runId, dataDir, all, false);
    const restored: string[] = [];
    const alreadyInPlace: string[] = [];
    for (const p of plan) {
      if (!p.inPlace) await copyBack(p);
      removeDurably(p.backup);
      await markRestored(client, runId, p.row.path);
      (p.inPlace ? alreadyInPlace : restored).push(p.row.path);
    }
    // A manifest describes files in the backup dir; with none of the run's left there, it goes too.
    for (const dir of new Set(all.map((r) => r.backupDir))) removeDurably(manifestPath(dir, runId));
    return { restored, alreadyInPlace };
  });
}

/**
 * The archived files a rollback would move back, read only (rollback --dry-run):
 * the same checks restoreArchivedFiles makes before it moves a file, in its
 * order, so a file it would refuse (missing, or another in its place) throws
 * the same error here; nothing is moved, removed or recorded.
 */
export async function previewRestore(
  client: pg.Client,
  runId: string,
  dataDir: string,
): Promise<{ restored: string[]; alreadyInPlace: string[] }> {
  const plan = await planRestore(runId, dataDir, await archiveRows(client, runId), true);
  return {
    restored: plan.filter((p) => !p.inPlace).map((p) => p.row.path),
    alreadyInPlace: plan.filter((p) => p.inPlace).map((p) => p.row.path),
  };
}

/** One archived file to put back: from `backup` to `original`, unless it is already there (`inPlace`, same sha256). */
interface RestoreItem {
  readonly row: ArchiveRow;
  readonly original: string;
  readonly backup: string;
  readonly inPlace: boolean;
}

/**
 * Every file's fate decided before one moves: the archived files not restored
 * yet, a -wal or -shm before its .db. A `preview` leaves the disk alone (no
 * leftover partial copy removed) and says what would happen.
 */
async function planRestore(
  runId: string,
  dataDir: string,
  all: readonly ArchiveRow[],
  preview: boolean,
): Promise<RestoreItem[]> {
  const rows = all
    .filter((r) => r.restoredAt === null)
    .sort((a, b) => restoreRank(a) - restoreRank(b) || a.path.localeCompare(b.path));
  const outcome = preview ? 'a rollback would move nothing back' : 'nothing was moved back';
  const plan: RestoreItem[] = [];
  for (const row of rows) {
    refuseUnsafeRelative(row.path);
    const original = join(dataDir, row.path);
    const backup = join(row.backupDir, row.path);
    if (!preview) rmSync(partialPathFor(original), { force: true });
    if (existsSync(original)) {
      if ((await sha256File(original)) !== row.sha256) {
        throw new MigrateError(
          'ROLLBACK_ARCHIVE_CONFLICT',
          `${original} exists and is not the file archived from there (sha256 differs); ${outcome}`,
          { file: row.path },
        );
      }
      plan.push({ row, original, backup, inPlace: true });
    } else if (existsSync(backup)) {
      plan.push({ row, original, backup, inPlace: false });
    } else {
      throw new MigrateError(
        'ROLLBACK_ARCHIVE_MISSING',
        `archived file ${row.path} of run ${runId} is neither in ${row.backupDir} nor in ${dataDir}; ${outcome}`,
        { file: row.path },
      );
    }
  }
  return plan;
}

/** Copies one archived file back to its place and proves the copy against the sha256 the ledger recorded. */
async function copyBack(p: RestoreItem): Promise<void> {
  ensureDirDurably(dirname(p.original), BACKUP_MODE);
  const copy = await copyToPartial(p.backup, p.original);
  if (copy.sha256 !== p.row.sha256) {
    rmSync(copy.partial, { force: true });
    throw new MigrateError(
      'ROLLBACK_ARCHIVE_CORRUPT',
      `${p.backup} does not hash to the sha256 recorded when it was archived (${p.row.sha256.slice(0, 12)}…)`,
      { file: p.row.path },
    );
  }
  commitPartial(copy, p.original);
  if ((await sha256File(p.original)) !== p.row.sha256) {
    removeDurably(p.original);
    throw new MigrateError(
      'ROLLBACK_ARCHIVE_CORRUPT',
      `${p.original} does not read back as written; the archived copy was kept`,
      { file: p.row.path },
    );
  }
}

function restoreRank(row: ArchiveRow): number {
  return row.path.endsWith('-wal') || row.path.endsWith('-shm') ? 0 : 1;
}
