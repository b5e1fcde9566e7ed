import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterSwitchChecks } from '../../../../src/pipeline/check/after-switch.js';
import type { CheckItem } from '../../../../src/report/check-report.js';
import { startFakeAragora, type FakeAragora } from '../../../helpers/fake-aragora-http.js';

describe('after the switch: every instance lists the same latest debate', () => {
  const token = 'aragora-api-t0ken-for-tests';
  let lb: FakeAragora;
  let a: FakeAragora;
  let b: FakeAragora;
  beforeAll(async () => {
    [lb, a, b] = await Promise.all([startFakeAragora(), startFakeAragora(), startFakeAragora()]);
  });
  afterAll(async () => {
    await Promise.all([lb, a, b].map((s) => s.close()));
  });

  async function debates(apiToken?: string): Promise<CheckItem | undefined> {
    const items = await afterSwitchChecks({
      loadBalancerUrl: lb.url,
      instanceUrls: [a.url, b.url],
      target: null,
      expectedInstances: 2,
      timeoutMs: 3000,
      keptInstances: [],
      ...(apiToken !== undefined ? { apiToken } : {}),
    });
    return items.find((i) => i.id === 'http.same-latest-debate');
  }

  it('passes when the instances and the load balancer list the same debate first', async () => {
    for (const s of [lb, a, b]) s.setLatestDebate('d-2026-001');
    expect(await debates()).toMatchObject({ status: 'pass', subject: null, fix: null });
  });

  it('fails when they differ, naming the instances and their ids', async () => {
    b.setLatestDebate('d-old-sqlite');
    const item = await debates();
    expect(item?.status).toBe('fail');
    expect(item?.detail).toContain(`instance ${a.url}/ d-2026-001`);
    expect(item?.detail).toContain(`instance ${b.url}/ d-old-sqlite`);
    expect(item?.fix).toMatch(/DATABASE_URL\/ARAGORA_POSTGRES_DSN/);
  });

  it('asks for ARAGORA_API_TOKEN when the instances want one, sends it as a bearer token, and never shows it', async () => {
    const guarded = await Promise.all([1, 2].map(() => startFakeAragora({ token, latestDebateId: 'd-9' })));
    try {
      const ask = (apiToken?: string): ReturnType<typeof afterSwitchChecks> =>
        afterSwitchChecks({
          loadBalancerUrl: null,
          instanceUrls: guarded.map((g) => g.url),
          target: null,
          expectedInstances: 2,
          timeoutMs: 3000,
          keptInstances: [],
          ...(apiToken !== undefined ? { apiToken } : {}),
        });
      const without = (await ask()).find((i) => i.id === 'http.same-latest-debate');
      expect(without?.status).toBe('fail');
      expect(without?.detail).toMatch(/HTTP 401/);
      expect(without?.fix).toMatch(/set ARAGORA_API_TOKEN/);
      const withToken = await ask(token);
      expect(withToken.find((i) => i.id === 'http.same-latest-debate')?.status).toBe('pass');
      expect(JSON.stringify(withToken)).not.toContain(token);
    } finally {
      await Promise.all(guarded.map((g) => g.close()));
    }
  });
});
