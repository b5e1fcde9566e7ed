import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;

/**
 * The sha256 of a file's bytes, hex. One 1 MiB buffer is read into again and
 * again: a stream hands out a new buffer per chunk, and the dead ones wait for
 * the next collection, so hashing a 1 GB source held up to 50 MiB of them in
 * the main thread's malloc heap, which kept that size for the rest of the run.
 */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  const buffer = Buffer.allocUnsafeSlow(CHUNK);
  const file = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      h.update(bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return h.digest('hex');
}
