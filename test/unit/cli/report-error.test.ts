import { describe, expect, it } from 'vitest';
import { reportError } from '../../../src/cli/report-error.js';
import { MigrateError, TargetError } from '../../../src/index.js';

/** A stderr to write to: a terminal of `columns`, or a pipe without them. */
function stream(columns?: number): NodeJS.WritableStream & { text: () => string } {
  let text = '';
  const s = {
    isTTY: columns !== undefined,
    columns,
    write(chunk: string) {
      text += chunk;
      return true;
    },
    text: () => text,
  };
  return s as unknown as NodeJS.WritableStream & { text: () => string };
}

const err = new TargetError(
  'TARGET_UNREACHABLE',
  'cannot connect to postgresql://migrator@db.internal.example.com:5432/aragora: nothing accepts connections at db.internal.example.com:5432',
);

describe('reportError', () => {
  it('keeps the message and the hint on one line each in a pipe', () => {
    const out = stream();
    expect(reportError(err, false, out)).toBe(5);
    expect(out.text()).toBe(`error TARGET_UNREACHABLE: ${err.message}\nhint: ${err.hint}\n`);
  });

  it('wraps them at the width of a terminal, continuation lines under the message', () => {
    const out = stream(60);
    expect(reportError(err, false, out)).toBe(5);
    const lines = out.text().trimEnd().split('\n');
    // Only a word longer than the room left passes the width, on a line of its own.
    for (const l of lines) if (l.trim().includes(' ')) expect(l.length, l).toBeLessThanOrEqual(60);
    expect(lines[0]).toBe('error TARGET_UNREACHABLE: cannot connect to');
    // A word is never split: the DSN stays whole to copy.
    expect(lines[1]).toBe('                          postgresql://migrator@db.internal.example.com:5432/aragora:');
    const hint = lines.findIndex((l) => l.startsWith('hint: '));
    expect(hint).toBeGreaterThan(1);
    for (const l of lines.slice(1, hint)) expect(l.startsWith(' '.repeat(26))).toBe(true);
    for (const l of lines.slice(hint + 1)) expect(l).toMatch(/^ {6}\S/);
    expect(lines.slice(hint).join(' ').replace(/ +/g, ' ')).toBe(`hint: ${err.hint}`);
  });

  it('indents less when the code takes half the width, and wraps a listed line under itself', () => {
    const listed = new MigrateError(
      'MIGRATE_TOO_MANY_REJECTS',
      '3 row(s) would be rejected, more than --max-rejects 1; nothing was loaded:\n  agent_elo.db ratings: 2\n  memory.db consensus: 1',
    );
    const out = stream(50);
    reportError(listed, false, out);
    const lines = out.text().trimEnd().split('\n');
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(50);
    expect(lines[0]).toMatch(/^error MIGRATE_TOO_MANY_REJECTS: 3 row\(s\)/);
    expect(lines[1]).toMatch(/^ {2}\S/);
    expect(lines).toContain('  agent_elo.db ratings: 2');
    expect(lines).toContain('  memory.db consensus: 1');
  });
});
