import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../../../src/util/sha256.js';
import { tempDir } from '../../helpers/files.js';

describe('sha256File', () => {
  it('hashes every byte of a file, whatever its size against the 1 MiB chunks it reads in', async () => {
    const dir = tempDir('sha256');
    for (const size of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12_345]) {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 131 + (i >> 20)) & 255;
      const path = join(dir, `f${size}`);
      writeFileSync(path, bytes);
      expect(await sha256File(path), `${size} bytes`).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('stops with the reason of a signal aborted while it reads, and hashes in full without one', async () => {
    const path = join(tempDir('sha256-stop'), 'big');
    writeFileSync(path, Buffer.alloc(8 << 20, 7));
    const stop = new AbortController();
    const hashing = sha256File(path, stop.signal);
    stop.abort(new Error('the run ended'));
    await expect(hashing).rejects.toThrow('the run ended');
    expect(await sha256File(path, new AbortController().signal)).toBe(
      createHash('sha256')
        .update(Buffer.alloc(8 << 20, 7))
        .digest('hex'),
    );
  });
});
