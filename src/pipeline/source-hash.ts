import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { FileHash } from '../ledger/runs.js';

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

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
