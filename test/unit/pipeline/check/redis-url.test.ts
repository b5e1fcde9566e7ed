import { describe, expect, it } from 'vitest';
import { maskRedisUrl, parseRedisUrl, RedisUrlError } from '../../../../src/pipeline/check/redis-url.js';

describe('parseRedisUrl', () => {
  it('reads the guide form rediss://:<token>@host:6379', () => {
    const u = parseRedisUrl('rediss://:s3cr%40t-token@Redis.Example.com:6380/2');
    expect(u).toMatchObject({
      tls: true,
      host: 'redis.example.com',
      port: 6380,
      username: null,
      password: 's3cr@t-token',
      db: 2,
    });
    expect(u.display).toBe('rediss://:***@Redis.Example.com:6380/2');
    expect(u.target).toBe('rediss://redis.example.com:6380/2');
    expect(JSON.stringify({ display: u.display, target: u.target })).not.toContain('s3cr');
  });

  it('fills in the defaults and keeps an ACL user in the target', () => {
    expect(parseRedisUrl('redis://cache')).toMatchObject({ tls: false, port: 6379, db: 0, password: null });
    const acl = parseRedisUrl('rediss://aragora:pw12345@cache:6379');
    expect(acl.username).toBe('aragora');
    expect(acl.target).toBe('rediss://aragora@cache:6379/0');
    // The default user is the one a bare token authenticates.
    expect(parseRedisUrl('rediss://default:pw12345@cache').target).toBe(parseRedisUrl('rediss://:other@cache').target);
  });

  it('reads ssl_cert_reqs=none as the app does: no certificate check', () => {
    expect(parseRedisUrl('rediss://:t@cache?ssl_cert_reqs=none').verifyCertificate).toBe(false);
    expect(parseRedisUrl('rediss://:t@cache').verifyCertificate).toBe(true);
  });

  it('refuses what is not a Redis URL, never quoting it', () => {
    for (const bad of ['postgresql://u:secretpw@h/db', 'not a url secretpw', 'rediss://:secretpw@cache/x']) {
      const err = (() => {
        try {
          parseRedisUrl(bad);
        } catch (e: unknown) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(RedisUrlError);
      expect((err as Error).message).not.toContain('secretpw');
    }
  });

  it('masks the password of a URL that does not parse', () => {
    expect(maskRedisUrl('rediss://:tok en@host:6379')).not.toContain('tok en');
  });
});
