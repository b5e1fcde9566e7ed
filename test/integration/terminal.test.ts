/* eslint-disable no-control-regex -- the terminal's escape codes are what this test reads */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/files.js';
import { makeInstance } from '../helpers/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const TMUX = spawnSync('tmux', ['-V']).status === 0;

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

/**
 * migrate in a real terminal of 100x24 (tmux): what an operator sees at the
 * end, and what went by while it worked (the raw stream, logged by tmux).
 */
describe.skipIf(!TMUX)(`migrate in a 100x24 terminal${TMUX ? '' : ' (skipped: tmux is not installed)'}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('tty');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('shows load and verify progress, leaves no bar behind, and ends on the verdict that matches its exit code', async () => {
    const m = makeInstance({ layout: 'legacy', instance: 'a', scale: 20 });
    const dir = tempDir('tty');
    const log = join(dir, 'raw.log');
    const session = `am-tty-${process.pid}`;
    const cmd = [
      process.execPath,
      '--import',
      'tsx',
      join(REPO_ROOT, 'src', 'cli', 'main.ts'),
      'migrate',
      '--data-dir',
      m.dir,
      '--database-url',
      db.url,
      '--instance',
      'web-a',
      '--batch-rows',
      '200',
      '--reject-dir',
      join(dir, 'rejects'),
    ].join(' ');
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '100',
      '-y',
      '24',
      '-c',
      REPO_ROOT,
      `sleep 1; ${cmd}; echo EXIT=$?; sleep 120`,
    );
    try {
      tmux('pipe-pane', '-t', session, '-o', `cat >> ${log}`);
      let pane = '';
      for (let i = 0; i < 240 && !/EXIT=\d+/.test(pane); i++) {
        await new Promise((r) => setTimeout(r, 500));
        pane = tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-2000');
      }
      const code = Number(/EXIT=(\d+)/.exec(pane)?.[1]);
      const lines = pane
        .split('\n')
        .map((l) => l.trimEnd())
        .filter((l) => l !== '');
      const end = lines.slice(
        0,
        lines.findIndex((l) => l.startsWith('EXIT=')),
      );
      // The verdict, then the next command, are the last lines; the verdict says the exit code the shell saw.
      expect(end.at(-2)).toMatch(new RegExp(`^✓ run \\S+ loaded and verified.*\\(exit ${code}\\)$`));
      expect(end.at(-1)).toMatch(/^next: aragora-migrate archive --run /);
      expect(code).toBe(3);
      // Nothing of the progress display stays on screen or in the scrollback.
      expect(lines.filter((l) => /\[[#-]{20}\]/.test(l))).toEqual([]);
      // While it worked: the load's and verify's overall bars went by, each progress line within 100 columns.
      const raw = readFileSync(log, 'utf8');
      expect(raw).toMatch(/loading \[[#-]{20}\]/);
      expect(raw).toMatch(/verifying \[[#-]{20}\]/);
      const frames = raw
        .split(/\r?\n/)
        .map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]|\r/g, ''))
        .filter((l) => /\[[#-]{20}\]/.test(l));
      expect(frames.length).toBeGreaterThan(1);
      for (const line of frames) expect([...line].length, line).toBeLessThanOrEqual(100);
    } finally {
      tmux('kill-session', '-t', session);
    }
  }, 180_000);
});
