import { describe, expect, it } from 'vitest';
import { runsInWorker } from '../../../src/cli/in-worker.js';

describe('runsInWorker', () => {
  it('sends migrate to the worker, wherever the global flags are', () => {
    expect(runsInWorker(['node', 'main.js', 'migrate', '--data-dir', 'x'])).toBe(true);
    expect(runsInWorker(['node', 'main.js', '--verbose', 'migrate'])).toBe(true);
  });

  it('keeps every other command, and no command at all, on the main thread', () => {
    for (const cmd of ['plan', 'verify', 'rollback', 'status', 'discover', 'archive', 'check'])
      expect(runsInWorker(['node', 'main.js', cmd, '--data-dir', 'migrate']), cmd).toBe(false);
    expect(runsInWorker(['node', 'main.js', '--help'])).toBe(false);
    expect(runsInWorker(['node', 'main.js'])).toBe(false);
  });
});
