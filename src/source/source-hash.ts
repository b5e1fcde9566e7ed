import { existsSync, statSync } from 'node:fs';
import { sha256File } from '../util/sha256.js';

/**
 * A file unchanged for this long before its identity was taken has a change
 * time that any later write moves, even on file systems that keep it to
 * the second (the "racy" case git also guards against).
 */
const QUIET_NS = 2_000_000_000n;

/**
 * The identity of a source file for the ledger: a resumed run must read the
 * same bytes it started on, and archive refuses a file that changed since.
 * `known` is what the ledger recorded for it: when the file and its -wal have
 * the same device, inode, size and change time as then, their bytes are the
 * same (every write moves the change time, which no user can set back), and
 * the recorded hashes are returned without reading the files again.
 */
export async function hashSourceFile(absPath: string, relPath: string, known?: FileHash): Promise<FileHash> {
  const wal = `${absPath}-wal`;
  const hasWal = existsSync(wal);
  // Taken before the bytes are read: a write while hashing leaves a later change time.
  const identity = quietIdentity(absPath, hasWal ? wal : null);
  if (known !== undefined && identity !== null && known.identity === identity) return { ...known, path: relPath };
  return {
    path: relPath,
    sizeBytes: statSync(absPath).size,
    sha256: await sha256File(absPath),
    walBytes: hasWal ? statSync(wal).size : 0,
    walSha256: hasWal ? await sha256File(wal) : null,
    identity,
  };
}

function quietIdentity(...paths: (string | null)[]): string | null {
  const now = BigInt(Date.now()) * 1_000_000n;
  const parts: string[] = [];
  for (const p of paths) {
    if (p === null) {
      parts.push('-');
      continue;
    }
    const st = statSync(p, { bigint: true });
    if (now - st.ctimeNs < QUIET_NS) return null;
    parts.push(`${st.dev}:${st.ino}:${st.size}:${st.ctimeNs}`);
  }
  return parts.join('/');
}

export interface FileHash {
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly walBytes: number;
  readonly walSha256: string | null;
  /**
   * What identifies the file and its -wal without reading them (device,
   * inode, size, change time), taken before hashing; null when either had
   * changed too recently to be sure of (see source-hash.ts).
   */
  readonly identity: string | null;
}
