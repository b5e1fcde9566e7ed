import { describe, expect, it } from 'vitest';
import { bodyExcerpt, maskSecrets } from '../../../../src/pipeline/check/http-excerpt.js';

describe('body excerpts', () => {
  it('masks credentials in URLs, JSON fields, key=value text, bearer tokens and long opaque tokens', () => {
    const body = JSON.stringify({
      error: 'cannot connect to postgresql://aragora:pg-pw-1@db:5432/aragora',
      redis: 'rediss://:redis-tok-2@cache:6379',
      api_key: 'short-key-3',
      note: 'password=pw-4 Bearer tok-5 and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      blob: 'A'.repeat(48),
    });
    const masked = maskSecrets(body);
    for (const secret of ['pg-pw-1', 'redis-tok-2', 'short-key-3', 'pw-4', 'tok-5', 'eyJhbGci', 'A'.repeat(48)])
      expect(masked).not.toContain(secret);
    expect(masked).toContain('postgresql://***@db:5432/aragora');
  });

  it('keeps ordinary probe answers as they are', () => {
    const body = '{"status":"not_ready","checks":{"db_pool":true,"redis_pool":false},"latency_ms":0.4}';
    expect(bodyExcerpt(body)).toBe(body);
  });

  it('cuts to 200 characters after masking, on one line', () => {
    const long = `line one\n${'word '.repeat(80)}`;
    const out = bodyExcerpt(long);
    expect(out).toHaveLength(201);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toContain('\n');
    expect(bodyExcerpt('  ')).toBe('(empty body)');
  });
});
