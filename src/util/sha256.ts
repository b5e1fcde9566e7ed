import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;

/**
 * The sha256 of a file's bytes, hex. Two 1 MiB buffers are read into again
 * and again: a stream hands out a new buffer per chunk, and the dead ones wait
 * for the next collection, so hashing a 1 GB source held up to 50 MiB of them
 * in the main thread's malloc heap, which kept that size for the rest of the
 * run. The next chunk is read while this one is hashed: the 1 GB
 * `continuum_memory.db` of the benchmark hashed in 0.6 s instead of 0.8-1.1 s,
 * before the load can start (docs/performance.md). `signal` stops it between
 * two chunks (it throws the signal's reason).
 */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  let reading = Buffer.allocUnsafeSlow(CHUNK);
  let spare = Buffer.allocUnsafeSlow(CHUNK);
  const file = await open(path, 'r');
  try {
    let next = file.read(reading, 0, CHUNK, null);
    for (;;) {
      const { bytesRead } = await next;
      if (bytesRead === 0) break;
      signal?.throwIfAborted();
      const read = reading;
      [reading, spare] = [spare, read];
      next = file.read(reading, 0, CHUNK, null);
      h.update(bytesRead === CHUNK ? read : read.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return h.digest('hex');
}
