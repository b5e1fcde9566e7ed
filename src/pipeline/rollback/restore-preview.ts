import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { MigrateError } from '../../errors.js';
import { archiveRows, type ArchiveRow } from '../../ledger/archives.js';
import { sha256File } from '../../util/sha256.js';
import { refuseUnsafeRelative } from '../archive/archive-plan.js';

/**
 * The archived files a rollback would move back, read only: the checks
 * restoreArchivedFiles (src/pipeline/archive/archive.ts, planRestore) makes
 * before it moves any file, in its order, without moving, removing or
 * recording anything. A file it would refuse (missing, or another file in its
 * place) throws the same error here.
 */
export async function previewRestore(
  client: pg.Client,
  runId: string,
  dataDir: string,
): Promise<{ restored: string[]; alreadyInPlace: string[] }> {
  const rows = (await archiveRows(client, runId))
    .filter((r) => r.restoredAt === null)
    .sort((a, b) => restoreRank(a) - restoreRank(b) || a.path.localeCompare(b.path));
  const restored: string[] = [];
  const alreadyInPlace: string[] = [];
  for (const row of rows) {
    refuseUnsafeRelative(row.path);
    const original = join(dataDir, row.path);
    const backup = join(row.backupDir, row.path);
    if (existsSync(original)) {
      if ((await sha256File(original)) !== row.sha256) {
        throw new MigrateError(
          'ROLLBACK_ARCHIVE_CONFLICT',
          `${original} exists and is not the file archived from there (sha256 differs); a rollback would move nothing back`,
          { file: row.path },
        );
      }
      alreadyInPlace.push(row.path);
    } else if (existsSync(backup)) {
      restored.push(row.path);
    } else {
      throw new MigrateError(
        'ROLLBACK_ARCHIVE_MISSING',
        `archived file ${row.path} of run ${runId} is neither in ${row.backupDir} nor in ${dataDir}; a rollback would move nothing back`,
        { file: row.path },
      );
    }
  }
  return { restored, alreadyInPlace };
}

/** As restoreArchivedFiles: a -wal or -shm goes back before its .db. */
function restoreRank(row: ArchiveRow): number {
  return row.path.endsWith('-wal') || row.path.endsWith('-shm') ? 0 : 1;
}
