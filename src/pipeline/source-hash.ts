import { existsSync, statSync } from 'node:fs';
import type { FileHash } from '../ledger/runs.js';
import { sha256File } from '../util/sha256.js';

/**
 * The identity of a source file for the ledger: a resumed run must read the
 * same bytes it started on, and archive refuses a file that changed since.
 */
export async function hashSourceFile(absPath: string, relPath: string): Promise<FileHash> {
  const wal = `${absPath}-wal`;
  const hasWal = existsSync(wal);
  return {
    path: relPath,
    sizeBytes: statSync(absPath).size,
    sha256: await sha256File(absPath),
    walBytes: hasWal ? statSync(wal).size : 0,
    walSha256: hasWal ? await sha256File(wal) : null,
  };
}
