import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeInstance } from '../../../helpers/fixtures.js';
import { migrate, runState, tableDigests } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * On a terminal, rollback shows the dry run and asks before it changes
 * anything. The CLI runs under a pseudo-terminal made by script(1) from
 * util-linux, so its stdin and stdout are TTYs as an operator's would be.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const QUESTION = /Roll back run (\S+): delete (\d+) rows, restore (\d+), drop (\d+) tables.*\? \[y\/N\] /;

const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs the CLI on a pseudo-terminal; types `answer` and Enter once the question shows. */
function onTerminal(args: readonly string[], answer?: string): Promise<{ code: number | null; output: string }> {
  const cli = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args].map(shellQuote);
  const child = spawn('script', ['-qec', cli.join(' '), '/dev/null'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let typed = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const collect = (d: Buffer): void => {
    output += d.toString();
    if (!typed && answer !== undefined && QUESTION.test(output)) {
      typed = true;
      child.stdin.write(`${answer}\r`);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code, output });
    }),
  );
}

describe('rollback on a terminal', () => {
  it('asks with the dry run\'s counts: "n" changes nothing (exit 5, ROLLBACK_NOT_CONFIRMED), "y" rolls back, --yes does not ask', async () => {
    const db = await createTestDatabase('rb_confirm');
    try {
      const a = makeInstance({ layout: 'legacy', instance: 'a' });
      const ra = await migrate(a.dir, db.url, { instance: 'a' });
      const before = await tableDigests(db.url);
      const ledger = await tableDigests(db.url, 'aragora_migrate');
      const args = ['rollback', '--run', ra.runId, '--database-url', db.url];

      const no = await onTerminal(args, 'n');
      expect(no.code, no.output).toBe(5);
      const asked = QUESTION.exec(no.output);
      expect(asked?.[1]).toBe(ra.runId);
      expect(Number(asked?.[2])).toBeGreaterThan(0);
      expect(Number(asked?.[4])).toBeGreaterThan(0);
      expect(no.output).toMatch(/would delete\s+would restore\s+changed since\s+would drop/);
      expect(no.output).toContain('error ROLLBACK_NOT_CONFIRMED');
      expect(no.output).toContain('pass --yes to skip the question in scripts');
      expect(await tableDigests(db.url)).toEqual(before);
      expect(await tableDigests(db.url, 'aragora_migrate')).toEqual(ledger);

      const yes = await onTerminal(args, 'y');
      expect(yes.code, yes.output).toBe(0);
      const deleted = Number(QUESTION.exec(yes.output)?.[2]);
      expect(yes.output).toContain(`rolled back: ${deleted} row(s) deleted`);
      expect(await tableDigests(db.url)).toEqual({});
      expect(await runState(db.url, ra.runId)).toBe('rolled-back');

      // Rolled back, migrated again: --yes rolls back without a question.
      const again = await migrate(a.dir, db.url, { instance: 'a' });
      const unasked = await onTerminal(['rollback', '--run', again.runId, '--database-url', db.url, '--yes']);
      expect(unasked.code, unasked.output).toBe(0);
      expect(unasked.output).not.toContain('[y/N]');
      expect(unasked.output).toMatch(/rolled back: \d+ row\(s\) deleted/);
      expect(await tableDigests(db.url)).toEqual({});
    } finally {
      await db.drop();
    }
  });
});
