/* eslint-disable no-control-regex -- the terminal's escape codes are what these tests read */
import { describe, expect, it } from 'vitest';
import { applyEvent, progressFrame, progressReporter, type ProgressState } from '../../../src/cli/render/progress.js';
import type { PipelineEventMap } from '../../../src/index.js';

function fresh(): ProgressState {
  return { phase: 'reading', total: 0, totalKnown: false, finished: 0, phaseStarted: 0, active: new Map() };
}

function feed(state: ProgressState, events: [keyof PipelineEventMap, unknown, number][]): void {
  for (const [e, p, t] of events) applyEvent(state, e, p as never, t);
}

/** A stream that records what a terminal would be sent. */
function fakeTty(columns: number, rows: number): NodeJS.WriteStream & { text: string } {
  const s = { isTTY: true, columns, rows, text: '', write: (chunk: string) => ((s.text += chunk), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

/** What a terminal shows after the writes: a tiny emulator of the codes the display uses (CR, LF, cursor up, erase line). */
function screen(text: string): string[] {
  const rows: string[] = [];
  let row = 0;
  for (const token of text.match(/\x1b\[\d*[A-Za-z]|\r|\n|[^\x1b\r\n]+/g) ?? []) {
    const csi = /^\x1b\[(\d*)([A-Za-z])$/.exec(token);
    if (csi !== null) {
      if (csi[2] === 'A') row = Math.max(0, row - Number(csi[1] || 1));
      else if (csi[2] === 'K') rows[row] = '';
      else throw new Error(`unexpected escape ${JSON.stringify(token)}`);
    } else if (token === '\n') row++;
    else if (token !== '\r') rows[row] = (rows[row] ?? '') + token;
  }
  while (rows.length > 0 && (rows.at(-1) ?? '') === '') rows.pop();
  return rows.map((r) => r ?? '');
}

describe('progress', () => {
  it('at 100x24: one overall bar, lines only for tables in progress, every line within the width', () => {
    const state = fresh();
    const events: [keyof PipelineEventMap, unknown, number][] = [['phase', { phase: 'loading', rows: 44_000 }, 0]];
    for (let i = 0; i < 44; i++) {
      const table = `a_table_with_a_rather_long_name_number_${i}`;
      events.push(['table:start', { file: 'continuum_memory.db', table, rows: i === 7 ? 0 : 1000 }, i * 100]);
      if (i !== 7)
        events.push(['table:rows', { file: 'continuum_memory.db', table, done: 500, bytes: 1 }, i * 100 + 50]);
      if (i < 42)
        events.push([
          'table:done',
          { file: 'continuum_memory.db', table, rows: i === 7 ? 0 : 1000, ms: 1 },
          i * 100 + 90,
        ]);
    }
    feed(state, events);
    const frame = progressFrame(state, 5000, 99, 24);
    expect(frame).toHaveLength(3);
    expect(frame[0]).toMatch(/^loading \[#+-*\] +\d+% \| 42,000\/44,000 rows \| [\d,]+ rows\/s \| ETA /);
    expect(frame.slice(1).every((l) => /number_4[23]/.test(l))).toBe(true);
    for (const l of frame) expect(l.length).toBeLessThanOrEqual(99);
  });

  it('a 0-row table gets no line and no meaningless ETA; an unknown total gives no ETA', () => {
    const state = fresh();
    feed(state, [
      ['phase', { phase: 'profiling', rows: 0 }, 0],
      ['table:start', { file: 'a.db', table: 'empty', rows: 0 }, 0],
    ]);
    const frame = progressFrame(state, 1000, 99, 24);
    expect(frame).toHaveLength(1);
    expect(frame[0]).not.toMatch(/ETA|NaN|Infinity/);
  });

  it('more tables in progress than the terminal has lines: the rest are counted, not drawn', () => {
    const state = fresh();
    feed(state, [['phase', { phase: 'loading', rows: 100 }, 0]]);
    for (let i = 0; i < 10; i++) feed(state, [['table:start', { file: 'f', table: `t${i}`, rows: 10 }, 0]]);
    const frame = progressFrame(state, 1000, 80, 6);
    expect(frame).toHaveLength(5);
    expect(frame.at(-1)).toMatch(/… and 7 more tables/);
  });

  it('on a terminal, verify shows its own progress, and when the command ends nothing of the display is left', () => {
    let t = 0;
    const tty = fakeTty(100, 24);
    const p = progressReporter({ quiet: false, stream: tty, now: () => t });
    p.emit('phase', { phase: 'loading', rows: 2000 });
    p.emit('table:start', { file: 'a.db', table: 'x', rows: 2000 });
    t = 1000;
    p.emit('table:rows', { file: 'a.db', table: 'x', done: 1000, bytes: 10 });
    expect(screen(tty.text)).toEqual([
      expect.stringMatching(/^loading .* 50% \| 1,000\/2,000 rows/),
      expect.stringMatching(/a\.db x/),
    ]);
    p.emit('table:done', { file: 'a.db', table: 'x', rows: 2000, ms: 1 });
    expect(screen(tty.text)).toEqual([expect.stringMatching(/^loading .* 100% \| 2,000\/2,000 rows/)]);
    t = 2000;
    p.emit('phase', { phase: 'verifying', rows: 2000 });
    p.emit('table:start', { file: 'source', table: 'public.x', rows: 2000 });
    t = 3000;
    p.emit('table:rows', { file: 'source', table: 'public.x', done: 700, bytes: 0 });
    expect(screen(tty.text)[0]).toMatch(/^verifying .* 35% \| 700\/2,000 rows/);
    p.stop();
    expect(screen(tty.text)).toEqual([]);
    for (const line of tty.text.split(/\n|\x1b\[\d*[A-Za-z]|\r/)) expect(line.length).toBeLessThan(100);
  });

  it('in a pipe: a line with the phase totals every few seconds, no bars, no escape codes', () => {
    let t = 0;
    const out = { isTTY: false, text: '', write: (c: string) => ((out.text += c), true) };
    const p = progressReporter({
      quiet: false,
      stream: out as unknown as NodeJS.WriteStream,
      now: () => t,
      intervalSeconds: 5,
    });
    p.emit('phase', { phase: 'loading', rows: 1000 });
    p.emit('table:start', { file: 'a.db', table: 'x', rows: 1000 });
    for (t = 1000; t <= 12_000; t += 1000)
      p.emit('table:rows', { file: 'a.db', table: 'x', done: Math.floor(t / 12), bytes: 1 });
    p.stop();
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^loading +\d+% \| [\d,]+\/1,000 rows \| [\d,]+ rows\/s \| ETA /);
    expect(out.text).not.toMatch(/\x1b|\[#/);
  });
});
