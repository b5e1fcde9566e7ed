import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterSwitchChecks } from '../../../../src/pipeline/check/after-switch.js';
import type { AfterSwitchOptions } from '../../../../src/pipeline/check/after-switch-options.js';
import type { CheckItem } from '../../../../src/report/check-report.js';
import {
  LEAKED_SECRETS,
  startFakeAragora,
  type Behaviour,
  type FakeAragora,
  type Route,
} from '../../../helpers/fake-aragora-http.js';

const servers: FakeAragora[] = [];
async function fake(routes: Partial<Record<Route, Behaviour>> = {}): Promise<FakeAragora> {
  const s = await startFakeAragora({ routes });
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function options(over: Partial<AfterSwitchOptions>): AfterSwitchOptions {
  return {
    loadBalancerUrl: null,
    instanceUrls: [],
    target: null,
    expectedInstances: 2,
    timeoutMs: 3000,
    keptInstances: [],
    ...over,
  };
}

const shown = (s: FakeAragora): string => `${s.url}/`;
const find = (items: CheckItem[], id: string, subject: string | null): CheckItem | undefined =>
  items.find((i) => i.id === id && i.subject === subject);

describe('after the switch: the load balancer and each instance answer their probes', () => {
  let lb: FakeAragora;
  let a: FakeAragora;
  let b: FakeAragora;
  beforeAll(async () => {
    [lb, a, b] = await Promise.all([fake(), fake(), fake()]);
  });

  it('passes every HTTP item for a healthy load balancer and two instances, and skips the database ones asking for --database-url', async () => {
    const items = await afterSwitchChecks(options({ loadBalancerUrl: lb.url, instanceUrls: [a.url, b.url] }));
    const http = items.filter((i) => i.id.startsWith('http.'));
    expect(http.map((i) => [i.id, i.subject, i.status])).toEqual([
      ...[lb, a, b].flatMap((s) =>
        ['http.healthz', 'http.readyz', 'http.readyz-dependencies'].map((id) => [id, shown(s), 'pass']),
      ),
      ['http.same-latest-debate', null, 'pass'],
    ]);
    expect(find(items, 'http.readyz', shown(lb))?.detail).toBe(
      'load balancer: HTTP 200, ready, db_pool and redis_pool true',
    );
    expect(items.every((i) => i.phase === 'after')).toBe(true);
    const db = items.filter((i) => !i.id.startsWith('http.'));
    expect(db.map((i) => [i.id, i.status])).toEqual([
      ['pg.instance-connections', 'skip'],
      ['ledger.runs-finished', 'skip'],
    ]);
    for (const i of db) expect(i.fix).toMatch(/--database-url/);
    expect(lb.requests).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/readyz/dependencies', '/api/v1/debates?limit=1']),
    );
  });

  const cases: [string, Route, Behaviour, string, RegExp, RegExp][] = [
    [
      'degraded liveness',
      '/healthz',
      'degraded',
      'http.healthz',
      /alive but degraded: ARAGORA_REDIS_URL/,
      /degraded mode/,
    ],
    [
      'a not-ready instance',
      '/readyz',
      'not-ready',
      'http.readyz',
      /"not_ready" \(failing: startup_complete\)/,
      /has not finished starting/,
    ],
    [
      'redis_pool false',
      '/readyz',
      'no-redis-pool',
      'http.readyz',
      /redis_pool is false/,
      /Redis pool was not created/,
    ],
    [
      'db_pool not configured',
      '/readyz',
      'no-database-url',
      'http.readyz',
      /db_pool is "not_configured"/,
      /Set DATABASE_URL/,
    ],
    [
      'Redis not connected',
      '/readyz/dependencies',
      'not-ready',
      'http.readyz-dependencies',
      /Redis not connected: Redis connection failed/,
      /cannot reach Redis/,
    ],
    [
      'Redis not required',
      '/readyz/dependencies',
      'redis-not-required',
      'http.readyz-dependencies',
      /not required/,
      /ARAGORA_REQUIRE_DISTRIBUTED=true/,
    ],
    [
      'wrong JSON',
      '/readyz',
      'wrong-json',
      'http.readyz',
      /no "status" field: \{"state":"fine"/,
      /not Aragora’s readiness probe/,
    ],
    [
      'not JSON',
      '/healthz',
      'not-json',
      'http.healthz',
      /HTTP 200, but the body is not JSON \(text\/html\): <!DOCTYPE html>/,
      /a proxy's error page/,
    ],
    [
      'HTTP 500',
      '/readyz/dependencies',
      'error-500',
      'http.readyz-dependencies',
      /^instance: HTTP 500: \{"error":"Internal server error"\}$/,
      /journalctl -u aragora/,
    ],
  ];
  it.each(cases)('fails on %s, naming what was wrong and the fix', async (_name, route, behaviour, id, detail, fix) => {
    const bad = await fake({ [route]: behaviour });
    const items = await afterSwitchChecks(options({ instanceUrls: [bad.url] }));
    const item = find(items, id, shown(bad));
    expect(item?.status, JSON.stringify(item)).toBe('fail');
    expect(item?.detail).toMatch(detail);
    expect(item?.fix).toMatch(fix);
    const others = items.filter((i) => i.id.startsWith('http.') && i.id !== id && i.id !== 'http.same-latest-debate');
    expect(others.map((i) => i.status)).toEqual(['pass', 'pass']);
    expect(find(items, 'http.same-latest-debate', null)).toMatchObject({
      status: 'skip',
      fix: expect.stringMatching(/--instance-url for each instance/) as unknown,
    });
  });

  it('gives up on an instance that hangs after --timeout, without holding up the others', async () => {
    const hang = await fake({ '/healthz': 'hang', '/readyz': 'hang', '/readyz/dependencies': 'hang' });
    const started = Date.now();
    const items = await afterSwitchChecks(options({ instanceUrls: [a.url, hang.url], timeoutMs: 600 }));
    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(590);
    expect(ms).toBeLessThan(600 + 1500);
    for (const id of ['http.healthz', 'http.readyz', 'http.readyz-dependencies']) {
      expect(find(items, id, shown(hang))).toMatchObject({
        status: 'fail',
        detail: 'instance: no answer within 600 ms',
      });
      expect(find(items, id, shown(hang))?.fix).toMatch(/raise --timeout/);
      expect(find(items, id, shown(a))?.status).toBe('pass');
    }
  });

  it('names a refused connection', async () => {
    const gone = await fake();
    await gone.close();
    const items = await afterSwitchChecks(options({ instanceUrls: [gone.url] }));
    const item = find(items, 'http.healthz', shown(gone));
    expect(item?.detail).toBe(`instance: connection refused by ${new URL(gone.url).host}`);
    expect(item?.fix).toMatch(/start the instance/);
  });

  it('never shows a secret: not from the URL, nor from a body that echoes one', async () => {
    const leaky = await fake({ '/readyz': 'leaky-500' });
    const url = new URL(leaky.url);
    url.username = 'ops';
    url.password = 'lb-basic-pw';
    url.searchParams.set('access_token', 'lb-query-token');
    const items = await afterSwitchChecks(options({ loadBalancerUrl: url.toString(), instanceUrls: [] }));
    const text = JSON.stringify(items);
    for (const secret of [...LEAKED_SECRETS, 'lb-basic-pw', 'lb-query-token']) expect(text).not.toContain(secret);
    const item = items.find((i) => i.id === 'http.readyz');
    expect(item?.subject).toBe(`${leaky.url}/?access_token=***`);
    expect(item?.detail).toMatch(/^load balancer: HTTP 500: .*postgresql:\/\/\*\*\*@db\.internal/);
  });

  it('says so when no URL is given, and fails a URL that cannot be asked', async () => {
    expect((await afterSwitchChecks(options({}))).filter((i) => i.id.startsWith('http.'))).toMatchObject([
      { id: 'http.urls', status: 'skip', fix: expect.stringMatching(/--url/) as unknown },
    ]);
    const items = await afterSwitchChecks(options({ instanceUrls: ['redis://:pw@cache:6379'] }));
    expect(items[0]).toMatchObject({ id: 'http.urls', status: 'fail', subject: 'redis://cache:6379' });
    expect(JSON.stringify(items)).not.toContain(':pw@');
  });
});
