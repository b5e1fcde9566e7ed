import type { CheckItem } from '../../report/check-report.js';
import { names, type InstanceEnv } from './env-instances.js';
import { before } from './items.js';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';
import { instanceTarget, sameTargetItem, type TargetSource } from './same-target.js';

/**
 * The instances' Redis settings: ARAGORA_REDIS_URL, else REDIS_URL (as
 * Aragora reads them), the same server for all, and rediss:// (TLS) in each.
 */
export interface InstanceRedis {
  readonly source: TargetSource;
  readonly raw: string | null;
  readonly tls: boolean | null;
}

export function instanceRedis(inst: InstanceEnv): InstanceRedis {
  const t = instanceTarget(
    inst,
    ['ARAGORA_REDIS_URL', 'REDIS_URL'],
    (value) => {
      const u = parseRedisUrl(value);
      return { target: u.target, password: u.password, asked: u.tls };
    },
    (err) => (err instanceof RedisUrlError ? err.message : null),
  );
  return { source: t.source, raw: t.raw, tls: t.asked };
}

export function sameRedisItem(urls: readonly InstanceRedis[]): CheckItem {
  return sameTargetItem(
    {
      id: 'env.same-redis',
      title: 'Every instance names the same Redis',
      server: 'Redis',
      variables: 'ARAGORA_REDIS_URL and REDIS_URL',
      variable: 'ARAGORA_REDIS_URL',
      flag: '--redis-url',
    },
    urls.map((u) => u.source),
  );
}

/** rediss:// in every instance's URL (and in --redis-url when no file gives one). */
export function redisTlsItem(urls: readonly InstanceRedis[], probe: { label: string; tls: boolean } | null): CheckItem {
  const title = 'The Redis URL asks for TLS (rediss://)';
  const seen = urls.flatMap((u) =>
    u.source.state === 'set' && u.tls !== null ? [{ label: u.source.where, tls: u.tls }] : [],
  );
  if (probe !== null && seen.length === 0) seen.push(probe);
  if (seen.length === 0)
    return before(
      'env.redis-tls',
      title,
      'skip',
      urls.some((u) => u.source.state === 'secrets-manager')
        ? 'the Redis URL is in AWS Secrets Manager, not in the files'
        : 'no Redis URL to read',
      'pass --redis-url with the URL the instances use',
    );
  const plain = seen.filter((s) => !s.tls);
  if (plain.length === 0)
    return before('env.redis-tls', title, 'pass', `rediss:// in ${seen.map((s) => s.label).join(', ')}`);
  return before(
    'env.redis-tls',
    title,
    'fail',
    `redis:// (no TLS: the token and every key cross the network in plain text) in ${names(plain.map((s) => s.label))}`,
    `write the URL as rediss://:<token>@<host>:<TLS port> at ${names(plain.map((s) => s.label))}, with TLS on at the server (tls-port; managed Redis: in-transit encryption)`,
  );
}
