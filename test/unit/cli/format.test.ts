import { describe, expect, it } from 'vitest';
import {
  cut,
  findingLines,
  fitColumns,
  terminalWidth,
  textTable,
  wrapHanging,
} from '../../../src/cli/render/format.js';
import type { Finding } from '../../../src/index.js';

const lengths = (text: string): number[] => text.split('\n').map((l) => l.length);

describe('terminalWidth', () => {
  it("is the terminal's columns, and undefined in a pipe or a file", () => {
    expect(terminalWidth({ isTTY: true, columns: 120 })).toBe(120);
    expect(terminalWidth({ isTTY: false, columns: 120 })).toBeUndefined();
    expect(terminalWidth({})).toBeUndefined();
    expect(terminalWidth({ isTTY: true, columns: 0 })).toBeUndefined();
  });
});

describe('textTable', () => {
  const header = ['source', 'target', 'rows', 'status'];
  const rows = [
    ['agent_elo.db calibration_predictions', 'public.elo_calibration_predictions', '1,234,567', 'ready'],
    ['memory.db consensus', 'public.consensus', '12', 'rejects'],
  ];

  it('keeps every cell whole without a width (a pipe, a file), as before', () => {
    const text = textTable(header, rows, new Set([2]));
    expect(text).toBe(
      [
        'source                                target                                   rows  status',
        '------------------------------------  ----------------------------------  ---------  -------',
        'agent_elo.db calibration_predictions  public.elo_calibration_predictions  1,234,567  ready',
        'memory.db consensus                   public.consensus                           12  rejects',
      ].join('\n'),
    );
    expect(textTable(header, rows, new Set([2]), 500)).toBe(text);
  });

  it('fits a narrower terminal by cutting the widest text columns, never a number', () => {
    const text = textTable(header, rows, new Set([2]), 60);
    for (const n of lengths(text)) expect(n).toBeLessThanOrEqual(60);
    expect(text).toContain('1,234,567');
    expect(text).toContain('…');
    // The short columns keep their width while the wide ones can give.
    expect(
      text
        .split('\n')[1]
        ?.split('  ')
        .map((d) => d.length),
    ).toEqual([19, 19, 9, 7]);
    expect(text).toContain('memory.db consensus ');
    expect(text).toContain('agent_elo…edictions  public.el…edictions  1,234,567  ready');
  });

  it('fits even a very narrow terminal while the numbers fit', () => {
    const text = textTable(header, rows, new Set([2]), 30);
    for (const n of lengths(text)) expect(n).toBeLessThanOrEqual(30);
    expect(text).toContain('1,234,567');
  });
});

describe('fitColumns', () => {
  it('narrows the widest text column first and leaves numeric ones alone', () => {
    expect(fitColumns([10, 30, 5], new Set([2]), 40)).toEqual([10, 21, 5]);
    expect(fitColumns([20, 20, 5], new Set([2]), 35)).toEqual([13, 13, 5]);
    expect(fitColumns([10, 8], new Set([0, 1]), 5)).toEqual([10, 8]);
  });
});

describe('cut', () => {
  it('keeps both ends of a long cell around …', () => {
    expect(cut('public.elo_calibration_predictions', 12)).toBe('publi…ctions');
    expect(cut('short', 12)).toBe('short');
    expect(cut('abc', 1)).toBe('…');
    expect(cut('abc', 0)).toBe('');
  });
});

describe('wrapHanging', () => {
  it('wraps at the width with continuation lines indented, never splitting a word', () => {
    const text = 'error CODE: cannot connect to postgresql://u@host:5432/db: nothing accepts connections there';
    const out = wrapHanging(text, 40, 12);
    expect(out.split('\n')).toEqual([
      'error CODE: cannot connect to',
      '            postgresql://u@host:5432/db:',
      '            nothing accepts connections',
      '            there',
    ]);
    expect(out.replace(/\n +/g, ' ')).toBe(text);
  });

  it('leaves the line as it is without a width, or when it fits', () => {
    const text = 'x '.repeat(100).trim();
    expect(wrapHanging(text, undefined, 4)).toBe(text);
    expect(wrapHanging('  short line', 80, 4)).toBe('  short line');
  });

  it('keeps the leading blanks and lets a word longer than the width stand alone', () => {
    expect(wrapHanging('  a verylongwordthatdoesnotfit b', 10, 4).split('\n')).toEqual([
      '  a',
      '    verylongwordthatdoesnotfit',
      '    b',
    ]);
  });
});

function finding(f: Partial<Finding> & Pick<Finding, 'message'>): Finding {
  return {
    file: 'a.db',
    table: 't',
    column: null,
    kind: 'wal_pending',
    count: 1,
    action: 'keep',
    exampleKeys: [],
    ...f,
  };
}

describe('findingLines', () => {
  it('says a message shared by several places once, each finding on its own line under it', () => {
    const lines = findingLines([
      finding({
        file: 'a.db',
        table: 'ratings',
        column: 'id',
        kind: 'null_key',
        action: 'reject',
        message: 'NULL in a primary key column',
        exampleKeys: ['rowid:3'],
      }),
      finding({
        file: 'b.db',
        table: 'ratings',
        column: 'id',
        kind: 'null_key',
        action: 'reject',
        message: 'NULL in a primary key column',
        count: 2,
      }),
      finding({
        file: 'c.db',
        table: 'x',
        kind: 'type_mismatch',
        action: 'reject',
        message: 'text "n/a" where a real number was expected',
      }),
    ]);
    expect(lines).toEqual([
      '  REJECT in 2 places: NULL in a primary key column',
      '         a.db ratings.id: null_key x1  e.g. rowid:3',
      '         b.db ratings.id: null_key x2',
      '  REJECT c.db x: type_mismatch x1: text "n/a" where a real number was expected',
    ]);
  });

  it('says the common end of per-file messages once, and what differs per place', () => {
    const lines = findingLines([
      finding({
        file: 'a.db',
        table: null,
        count: 20,
        message: '20 page(s) only in a.db-wal; read through a snapshot copy',
      }),
      finding({
        file: 'b.db',
        table: null,
        count: 3,
        message: '3 page(s) only in b.db-wal; read through a snapshot copy',
      }),
      finding({ file: 'c.db', table: null, count: 1, message: 'something else; entirely' }),
    ]);
    expect(lines).toEqual([
      '  KEEP   in 2 places: read through a snapshot copy',
      '         a.db: wal_pending x20: 20 page(s) only in a.db-wal',
      '         b.db: wal_pending x3: 3 page(s) only in b.db-wal',
      '  KEEP   c.db: wal_pending x1: something else; entirely',
    ]);
  });

  it('cuts an example key too long to read, and says how long it is', () => {
    const key = 'k'.repeat(8000);
    const lines = findingLines([
      finding({ kind: 'key_too_large', action: 'reject', message: 'too large', exampleKeys: [key, 'short'] }),
    ]);
    expect(lines).toEqual([
      `  REJECT a.db t: key_too_large x1: too large  e.g. ${'k'.repeat(80)}… (8,000 characters), short`,
    ]);
  });

  it('keeps the code migrate refuses with, and wraps to a width', () => {
    const lines = findingLines(
      [
        finding({
          action: 'block',
          kind: 'type_mismatch',
          code: 'TARGET_INCOMPATIBLE',
          message: 'a long message about a column that cannot hold the values it is to hold',
        }),
      ],
      50,
    );
    expect(
      lines
        .join('\n')
        .split('\n')
        .every((l) => l.length <= 50),
    ).toBe(true);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain('(migrate refuses: TARGET_INCOMPATIBLE)');
  });
});
