import { describe, expect, it } from 'vitest';
import {
  compareLatestDebates,
  firstDebateId,
  type LatestDebate,
} from '../../../../src/pipeline/check/after-debates.js';
import type { HttpTarget } from '../../../../src/pipeline/check/http-target.js';

const t = (role: HttpTarget['role'], host: string): HttpTarget => ({
  role,
  url: `http://${host}`,
  shown: `http://${host}/`,
});
const A = t('instance', 'a');
const B = t('instance', 'b');
const C = t('instance', 'c');
const LB = t('load balancer', 'lb');
const said = (target: HttpTarget, id: string | null): LatestDebate => ({ target, ok: true, id });

describe('the latest debate of each instance', () => {
  it("reads Aragora's list answer", () => {
    expect(firstDebateId({ debates: [{ id: 'd1', debate_id: 'd1' }], count: 1 })).toBe('d1');
    expect(firstDebateId({ debates: [{ debate_id: 'd2' }] })).toBe('d2');
    expect(firstDebateId({ debates: [], count: 0 })).toBeNull();
    expect(firstDebateId({ items: [] })).toBeUndefined();
  });

  it('passes when all agree', () => {
    const item = compareLatestDebates([said(A, 'd1'), said(B, 'd1'), said(LB, 'd1')]);
    expect(item).toMatchObject({ id: 'http.same-latest-debate', status: 'pass', fix: null });
    expect(item.detail).toContain('every one lists d1 first');
  });

  it('names both instances when two disagree', () => {
    const item = compareLatestDebates([said(A, 'd1'), said(B, 'd2'), said(LB, 'd1')]);
    expect(item.status).toBe('fail');
    expect(item.detail).toBe(
      'the latest debates differ: the instances do not agree (instance http://a/ d1, instance http://b/ d2, load balancer http://lb/ d1)',
    );
    expect(item.fix).toMatch(/same PostgreSQL/);
  });

  it('names the odd one out when most agree', () => {
    const item = compareLatestDebates([said(A, 'd1'), said(B, null), said(C, 'd1')]);
    expect(item.detail).toContain('instance http://b/ differs from the others (d1)');
    expect(item.detail).toContain('instance http://b/ (no debates)');
  });

  it('warns when no instance lists a debate, and fails naming one that did not answer', () => {
    expect(compareLatestDebates([said(A, null), said(B, null)]).status).toBe('warn');
    const item = compareLatestDebates([
      said(A, 'd1'),
      { target: B, ok: false, detail: 'HTTP 500: x', fix: 'see its log' },
    ]);
    expect(item).toMatchObject({ status: 'fail', detail: 'instance http://b/: HTTP 500: x', fix: 'see its log' });
  });
});
