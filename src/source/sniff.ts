import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** What the first bytes of a file say, before SQLite is asked anything. */
export interface Sniff {
  readonly kind: 'sqlite' | 'empty' | 'not_sqlite' | 'unreadable';
  readonly sizeBytes: number;
  /** From the header: 2 means the file was last in WAL mode (bytes 18-19, SQLite file format §1.3). */
  readonly walMode: boolean;
  readonly pageSize: number;
  /** Why the file could not be read (permission, I/O), for kind `unreadable`. */
  readonly error?: string;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function sniffFile(path: string): Sniff {
  let sizeBytes = 0;
  const header = Buffer.alloc(100);
  let read: number;
  try {
    sizeBytes = statSync(path).size;
    if (sizeBytes === 0) return { kind: 'empty', sizeBytes, walMode: false, pageSize: 0 };
    const fd = openSync(path, 'r');
    try {
      read = readSync(fd, header, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err: unknown) {
    const e = err as NodeJS.ErrnoException;
    return {
      kind: 'unreadable',
      sizeBytes,
      walMode: false,
      pageSize: 0,
      error: e.code !== undefined ? `${e.code}: ${e.message}` : String(err),
    };
  }
  if (read < 100 || !header.subarray(0, 16).equals(MAGIC))
    return { kind: 'not_sqlite', sizeBytes, walMode: false, pageSize: 0 };
  const rawPage = header.readUInt16BE(16);
  return {
    kind: 'sqlite',
    sizeBytes,
    walMode: header[18] === 2 || header[19] === 2,
    pageSize: rawPage === 1 ? 65536 : rawPage,
  };
}

/** Size of a side file (`-wal`, `-shm`, `-journal`), 0 when absent. */
export function sideFileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Committed WAL frames (each page + a 24-byte frame header after the 32-byte WAL
 * header). An upper bound: a WAL can hold frames of a transaction that never
 * committed, which SQLite ignores when it reads.
 */
export function walFrames(walBytes: number, pageSize: number): number {
  if (walBytes <= 32 || pageSize === 0) return 0;
  return Math.floor((walBytes - 32) / (pageSize + 24));
}
