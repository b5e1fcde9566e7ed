import type pg from 'pg';
import { ledgerTableExists } from './schema.js';

/** One archived file of a run, as aragora_migrate.archives holds it. */
export interface ArchiveRow {
  /** Relative to the run's data dir, and to the backup dir. */
  readonly path: string;
  readonly backupDir: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly archivedAt: Date;
  readonly restoredAt: Date | null;
}

/** The columns of aragora_migrate.archives, as pg returns them. */
interface ArchiveDbRow {
  run_id: string;
  path: string;
  backup_dir: string;
  size_bytes: string;
  sha256: string;
  archived_at: Date;
  restored_at: Date | null;
}

const ARCHIVE_COLUMNS = 'run_id, path, backup_dir, size_bytes, sha256, archived_at, restored_at';

function toArchiveRow(x: ArchiveDbRow): ArchiveRow & { readonly runId: string } {
  return {
    runId: x.run_id,
    path: x.path,
    backupDir: x.backup_dir,
    sizeBytes: Number(x.size_bytes),
    sha256: x.sha256,
    archivedAt: x.archived_at,
    restoredAt: x.restored_at,
  };
}

/** Every archives row of a run, restored ones included, by path. */
export async function archiveRows(client: pg.Client, runId: string): Promise<ArchiveRow[]> {
  const r = await client.query<ArchiveDbRow>(
    `SELECT ${ARCHIVE_COLUMNS} FROM aragora_migrate.archives WHERE run_id = $1 ORDER BY path`,
    [runId],
  );
  return r.rows.map(toArchiveRow);
}

/** The archives rows of these runs, restored ones included, by path; none from a ledger older than the archives table. */
export async function archiveRowsOfRuns(
  client: pg.Client,
  runIds: readonly string[],
): Promise<(ArchiveRow & { readonly runId: string })[]> {
  if (!(await ledgerTableExists(client, 'archives'))) return [];
  const r = await client.query<ArchiveDbRow>(
    `SELECT ${ARCHIVE_COLUMNS} FROM aragora_migrate.archives WHERE run_id = ANY($1) ORDER BY path`,
    [runIds],
  );
  return r.rows.map(toArchiveRow);
}

/**
 * Records a file as archived. Written once the backup copy is complete and
 * checked, before the original is removed, so a file missing from the data
 * dir always has its row. A file archived again after a restore gets a fresh row.
 */
export async function recordArchived(
  client: pg.Client,
  runId: string,
  f: { path: string; backupDir: string; sizeBytes: number; sha256: string },
): Promise<void> {
  await client.query(
    `INSERT INTO aragora_migrate.archives (run_id, path, backup_dir, size_bytes, sha256)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (run_id, path) DO UPDATE
       SET backup_dir = EXCLUDED.backup_dir, size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256, archived_at = now(), restored_at = NULL`,
    [runId, f.path, f.backupDir, f.sizeBytes, f.sha256],
  );
}

export async function markRestored(client: pg.Client, runId: string, path: string): Promise<void> {
  await client.query(
    'UPDATE aragora_migrate.archives SET restored_at = now() WHERE run_id = $1 AND path = $2 AND restored_at IS NULL',
    [runId, path],
  );
}

/** Runs other than `runId` whose archived (not restored) file `path` lives in `backupDir`. */
export async function otherClaims(
  client: pg.Client,
  runId: string,
  backupDir: string,
  path: string,
): Promise<string[]> {
  const r = await client.query<{ run_id: string }>(
    'SELECT run_id FROM aragora_migrate.archives WHERE backup_dir = $1 AND path = $2 AND run_id <> $3 AND restored_at IS NULL ORDER BY run_id',
    [backupDir, path, runId],
  );
  return r.rows.map((x) => x.run_id);
}

/**
 * Runs `work` while this session holds the lock on one run's files: archive
 * and restore of one run never run at once. A session-level advisory lock,
 * released by PostgreSQL when the holder's connection ends, so a killed
 * process does not leave it behind. Re-entrant within one session.
 */
export async function withRunFilesLock<T>(client: pg.Client, runId: string, work: () => Promise<T>): Promise<T> {
  await client.query("SELECT pg_advisory_lock(hashtext('aragora_migrate:archive'), hashtext($1))", [runId]);
  try {
    return await work();
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext('aragora_migrate:archive'), hashtext($1))", [runId]);
  }
}
