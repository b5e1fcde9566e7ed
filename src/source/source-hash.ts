import { statSync } from 'node:fs';
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
export async function hashSourceFile(
  absPath: string,
  relPath: string,
  known?: FileHash,
  signal?: AbortSignal,
): Promise<FileHash> {
  const wal = `${absPath}-wal`;
  const hasWal = hasWalContent(absPath);
  // Taken before the bytes are read: a write while hashing leaves a later change time.
  const identity = quietIdentity(absPath, hasWal ? wal : null);
  if (known !== undefined && identity !== null && known.identity === identity) return { ...known, path: relPath };
  return {
    path: relPath,
    sizeBytes: statSync(absPath).size,
    sha256: await sha256File(absPath, signal),
    walBytes: hasWal ? statSync(wal).size : 0,
    walSha256: hasWal ? await sha256File(wal, signal) : null,
    identity,
  };
}

/**
 * A -wal with bytes in it. An empty one holds no frame, so the database is its
 * .db alone, as with no -wal at all: any process that merely opens a WAL-mode
 * file, `sqlite3 -readonly` or the drained app, creates one (and a -shm)
 * and leaves it empty. Hashed as absent, it no longer reads as "written since
 * the run" to verify and archive.
 */
export function hasWalContent(absPath: string): boolean {
  return (statSync(`${absPath}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0;
}

/** sha256 of no bytes: what an earlier version recorded for an empty -wal. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A recorded -wal hash as this version records it: null for none or an empty one. */
export function walContentHash(walSha256: string | null): string | null {
  return walSha256 === EMPTY_SHA256 ? null : walSha256;
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

/** What tells a file's bytes apart: the sha256 of its .db and of its -wal's content (null: none, or empty). */
export type FileBytes = Pick<FileHash, 'path' | 'sha256' | 'walSha256'>;

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
