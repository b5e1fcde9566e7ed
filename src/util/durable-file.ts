import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * File moves that survive a crash at any instant. rename(2) within one folder
 * is atomic, so a file appears under its final name only complete; fsync of
 * the file before the rename and of the folder after it makes that hold across
 * a power cut too (rename(2), fsync(2): the new directory entry is durable only
 * once the directory itself is synced).
 */

const CHUNK = 1 << 20;

/** The name a file is written under until it is complete: hidden, beside its final name, one per file. */
export function partialPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.aragora-migrate-partial`);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` and any missing parents with `mode`, each new entry synced into its parent. */
export function ensureDirDurably(dir: string, mode: number): void {
  if (existsSync(dir)) return;
  ensureDirDurably(dirname(dir), mode);
  mkdirSync(dir, { mode });
  // mkdir's mode passes through the umask; the folder must end up exactly `mode`.
  chmodSync(dir, mode);
  fsyncDir(dirname(dir));
}

export interface PartialCopy {
  /** Where the bytes are until commitPartial moves them to their final name. */
  readonly partial: string;
  readonly bytes: number;
  /** sha256 of the bytes read from the source, hex. */
  readonly sha256: string;
}

/**
 * Copies `from` to the partial file beside `to`, fsynced, without putting it
 * in place: the caller checks the hash first, then commits (or removes it). A
 * crash leaves at most the partial file, which the next copy to the same name
 * replaces. A copy, not a rename of the source, so it works across file systems.
 */
export async function copyToPartial(
  from: string,
  to: string,
  onBytes?: (done: number, total: number) => void,
): Promise<PartialCopy> {
  const partial = partialPathFor(to);
  rmSync(partial, { force: true });
  const hash = createHash('sha256');
  const src = await open(from, 'r');
  let bytes = 0;
  try {
    const st = await src.stat();
    const total = st.size;
    const dst = await open(partial, 'w', 0o600);
    try {
      // The copy keeps the original's owner, mode and times, so a file moved
      // away and back is the file it was, not one the service may not open.
      await dst.chown(st.uid, st.gid).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      });
      await dst.chmod(st.mode & 0o7777);
      const buf = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, CHUNK, null);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        await dst.write(chunk);
        bytes += bytesRead;
        onBytes?.(bytes, total);
      }
      await dst.utimes(st.atime, st.mtime);
      await dst.sync();
    } finally {
      await dst.close();
    }
  } catch (err: unknown) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    await src.close();
  }
  return { partial, bytes, sha256: hash.digest('hex') };
}

/** Puts a complete partial file in place under its final name, durably. */
export function commitPartial(copy: PartialCopy, to: string): void {
  renameSync(copy.partial, to);
  fsyncDir(dirname(to));
}

/** Removes a file and makes the removal durable; a file already gone is fine. */
export function removeDurably(path: string): void {
  try {
    unlinkSync(path);
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  fsyncDir(dirname(path));
}

/** Writes a small text file so that readers see the old content or the new, never a mix. */
export function writeFileDurably(path: string, text: string): void {
  const partial = partialPathFor(path);
  const fd = openSync(partial, 'w', 0o600);
  try {
    writeAll(fd, Buffer.from(text));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, path);
  fsyncDir(dirname(path));
}

/**
 * writeFileDurably for a file written a piece at a time (`pieces`, which may
 * read them from elsewhere as they are asked for): the file appears under its
 * name only complete, and whatever fails, the partial file is removed and
 * the error passes through as it was.
 */
export async function writeStreamDurably(path: string, pieces: AsyncIterable<string>, mode = 0o600): Promise<void> {
  const partial = partialPathFor(path);
  const fd = openSync(partial, 'w', mode);
  let open = true;
  try {
    for await (const piece of pieces) writeAll(fd, Buffer.from(piece));
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(partial, path);
    chmodSync(path, mode);
  } finally {
    if (open) closeSync(fd);
    rmSync(partial, { force: true });
  }
  fsyncDir(dirname(path));
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}
