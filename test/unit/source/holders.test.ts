import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findHolders } from '../../../src/source/holders.js';
import { tempDir } from '../../helpers/files.js';

/** A child process that opens `path` with the given flags and waits. */
async function holdOpen(path: string, flags: 'r' | 'r+'): Promise<{ pid: number; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('fs').openSync(${JSON.stringify(path)}, '${flags}'); console.log('open'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { pid: child.pid ?? -1, stop: () => child.kill('SIGKILL') };
}

describe('findHolders', () => {
  it('names a process that holds the file open for writing, and ignores read-only readers', async () => {
    const file = join(tempDir('holders'), 'x.db');
    writeFileSync(file, 'data');
    expect(findHolders([file])).toEqual([]);
    const reader = await holdOpen(file, 'r');
    try {
      expect(findHolders([file])).toEqual([]);
      const writer = await holdOpen(file, 'r+');
      try {
        const holders = findHolders([file]);
        expect(holders.map((h) => h.pid)).toEqual([writer.pid]);
        expect(holders[0]?.command).toContain('node');
      } finally {
        writer.stop();
      }
    } finally {
      reader.stop();
    }
  });

  it('with anyHandle, names read-only readers too', async () => {
    const file = join(tempDir('holders'), 'x.db');
    writeFileSync(file, 'data');
    const reader = await holdOpen(file, 'r');
    try {
      expect(findHolders([file], { anyHandle: true }).map((h) => h.pid)).toEqual([reader.pid]);
      expect(findHolders([file])).toEqual([]);
    } finally {
      reader.stop();
    }
  });
});
