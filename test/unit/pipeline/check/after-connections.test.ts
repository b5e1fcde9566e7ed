import { describe, expect, it } from 'vitest';
import { judgeConnections, type ActivityRow } from '../../../../src/pipeline/check/after-connections.js';

const rows = (spec: Record<string, number>, local = 0, hidden = 0): ActivityRow[] => [
  ...Object.entries(spec).flatMap(([addr, n]) => Array.from({ length: n }, () => ({ addr, hidden: false }))),
  ...Array.from({ length: local }, () => ({ addr: null, hidden: false })),
  ...Array.from({ length: hidden }, () => ({ addr: null, hidden: true })),
];

describe('connections from every instance', () => {
  it('passes with as many addresses as instances, listing each with its count', () => {
    const item = judgeConnections(rows({ '10.0.1.6': 3, '10.0.1.5': 21 }), 2, 'aragora', 'db');
    expect(item).toMatchObject({ id: 'pg.instance-connections', status: 'pass', subject: 'db', fix: null });
    expect(item.detail).toMatch(
      /^connections from 2 address\(es\), 2 instance\(s\) expected: 10\.0\.1\.5 \(21\), 10\.0\.1\.6 \(3\)/,
    );
  });

  it('fails with too few, naming what it saw; local socket connections do not count', () => {
    const item = judgeConnections(rows({ '10.0.1.5': 20 }, 2), 2, 'aragora', 'db');
    expect(item.status).toBe('fail');
    expect(item.detail).toContain('10.0.1.5 (20); plus 2 over a local socket (no client address, not an instance)');
    expect(item.fix).toMatch(/An instance is not connected to db/);
  });

  it('warns when rows hidden from this role could be the missing instances, with the GRANT', () => {
    const item = judgeConnections(rows({ '10.0.1.5': 1 }, 0, 40), 2, 'check role', 'db');
    expect(item.status).toBe('warn');
    expect(item.fix).toContain('GRANT pg_read_all_stats TO "check role";');
  });

  it('skips without a number of instances', () => {
    expect(judgeConnections([], 0, 'r', 'db')).toMatchObject({
      status: 'skip',
      fix: expect.stringMatching(/--instances/) as unknown,
    });
  });
});
