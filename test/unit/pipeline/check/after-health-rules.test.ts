import { describe, expect, it } from 'vitest';
import { judgeDependencies, judgeHealthz, judgeReadyz } from '../../../../src/pipeline/check/after-health-rules.js';

// Bodies as Aragora's aragora/server/handlers/admin/health/kubernetes.py writes them.
const READY = {
  status: 'ready',
  checks: { degraded_mode: true, startup_complete: true, redis_pool: true, db_pool: true },
  latency_ms: 0.4,
  fast_probe: true,
};

describe('/healthz', () => {
  it('passes {"status":"ok"} and fails a degraded or foreign answer with its reason', () => {
    expect(judgeHealthz(200, { status: 'ok' })).toEqual({ pass: true, detail: 'HTTP 200 {"status":"ok"}' });
    const degraded = judgeHealthz(200, { status: 'ok', degraded: true, degraded_reason: 'no Redis' });
    expect(degraded).toMatchObject({ pass: false, detail: expect.stringMatching(/degraded: no Redis/) as unknown });
    expect(judgeHealthz(200, { state: 'fine' })).toMatchObject({
      pass: false,
      detail: expect.stringMatching(/status is missing/) as unknown,
    });
  });
});

describe('/readyz', () => {
  it('passes ready with both pools', () => {
    expect(judgeReadyz(200, READY).pass).toBe(true);
  });

  it('fails a ready instance whose pools are missing, with the variable to set', () => {
    const v = judgeReadyz(200, { ...READY, checks: { ...READY.checks, db_pool: 'not_configured', redis_pool: false } });
    expect(v.pass).toBe(false);
    expect(v.detail).toBe('HTTP 200, db_pool is "not_configured"; redis_pool is false');
    if (!v.pass) {
      expect(v.fix).toMatch(/Set DATABASE_URL \(or ARAGORA_POSTGRES_DSN\)/);
      expect(v.fix).toMatch(/Redis pool was not created/);
    }
  });

  it('fails not_ready naming the failing checks, and degraded mode with its reason', () => {
    const v = judgeReadyz(503, { ...READY, status: 'not_ready', checks: { ...READY.checks, startup_complete: false } });
    expect(v.detail).toMatch(/status is "not_ready" \(failing: startup_complete\)/);
    const d = judgeReadyz(503, {
      status: 'not_ready',
      reason: 'Server in degraded mode',
      degraded: { reason: 'bad config' },
      checks: { degraded_mode: false },
    });
    expect(d.detail).toBe('HTTP 503, status is "not_ready": Server in degraded mode (failing: degraded_mode)');
    if (!d.pass) expect(d.fix).toMatch(/degraded mode \(bad config\)/);
  });
});

describe('/readyz/dependencies', () => {
  const deps = (redis: object, status = 'ready'): object => ({ status, checks: { storage: true, redis } });

  it('passes ready with Redis connected', () => {
    expect(judgeDependencies(200, deps({ connected: true, message: 'ok' })).pass).toBe(true);
  });

  it('names each way Redis is not there, with its fix', () => {
    const cases: [object, string, RegExp][] = [
      [
        deps({ connected: false, message: 'timed out' }, 'not_ready'),
        'Redis not connected: timed out',
        /cannot reach Redis/,
      ],
      [deps({ configured: false }), 'Redis is not configured', /ARAGORA_REDIS_URL=rediss:/],
      [deps({ configured: true, required: false }), 'not required', /ARAGORA_REQUIRE_DISTRIBUTED=true/],
      [deps({ error: 'timeout', error_type: 'timeout' }, 'not_ready'), 'Redis check failed', /log/],
    ];
    for (const [body, detail, fix] of cases) {
      const v = judgeDependencies(200, body);
      expect(v.pass).toBe(false);
      expect(v.detail).toContain(detail);
      if (!v.pass) expect(v.fix).toMatch(fix);
    }
  });

  it('fails degraded mode with its reason alone', () => {
    const v = judgeDependencies(503, {
      status: 'not_ready',
      reason: 'Server in degraded mode',
      degraded: { reason: 'ARAGORA_REDIS_URL unset' },
      checks: { degraded_mode: false },
    });
    expect(v).toMatchObject({ pass: false, detail: 'HTTP 503, status is "not_ready": ARAGORA_REDIS_URL unset' });
  });

  it('fails a foreign answer', () => {
    expect(judgeDependencies(200, [1, 2]).detail).toMatch(/no "status" field/);
  });
});
