import { parseDsn, type TargetDsn } from '../../config/dsn.js';
import { MigrateError } from '../../errors.js';
import type { CheckItem } from '../../report/check-report.js';
import type { InstanceDsn } from './env-postgres.js';
import type { InstanceRedis } from './env-redis.js';
import { names } from './env-instances.js';
import { before } from './items.js';
import type { PgProbe } from './pg-checks.js';
import { pgTarget } from './pg-target.js';
import type { RedisProbe } from './redis-checks.js';
import { parseRedisUrl, type RedisUrl } from './redis-url.js';
import type { TargetSource } from './same-target.js';

/**
 * Which PostgreSQL and which Redis check connects to: the one given
 * (--database-url or the environment; --redis-url), else the first instance's
 * own, else none, with why and what would give one.
 */
type SetSource = Extract<TargetSource, { state: 'set' }>;

const isSet = (s: TargetSource): s is SetSource => s.state === 'set';

function kept(sources: readonly TargetSource[]): string[] {
  return sources.filter((s) => s.state === 'secrets-manager').map((s) => s.instance);
}

export function pgProbe(given: TargetDsn | null, from: string, dsns: readonly InstanceDsn[]): PgProbe {
  if (given !== null) return { dsn: given, from };
  const first = dsns.find((d) => d.raw !== null && isSet(d.source));
  if (first !== undefined && first.raw !== null && isSet(first.source)) {
    const where = `${first.source.variable} at ${first.source.where}`;
    try {
      return { dsn: parseDsn(first.raw), from: where };
    } catch (err: unknown) {
      // parseDsn's messages are masked (src/config/dsn.ts); a file the DSN names may exist only on the instance.
      const message = err instanceof MigrateError ? err.message : 'it does not parse';
      return {
        dsn: null,
        why: `the DSN in ${where} cannot be used from here: ${message}`,
        fix: 'pass --database-url with a DSN this machine can use for the same server',
      };
    }
  }
  const sm = kept(dsns.map((d) => d.source));
  if (sm.length > 0)
    return {
      dsn: null,
      why: `the DSN is in AWS Secrets Manager (ARAGORA_USE_SECRETS_MANAGER=true in ${names(sm)}), not in the files`,
      fix: "pass --database-url with the secret's value",
    };
  return {
    dsn: null,
    why: 'no DSN: no --database-url, and no env file sets ARAGORA_POSTGRES_DSN or DATABASE_URL',
    fix: 'pass --database-url, or --env-file for each instance',
  };
}

export function redisProbe(given: RedisUrl | null, urls: readonly InstanceRedis[]): RedisProbe {
  if (given !== null) return { url: given, from: '--redis-url' };
  const first = urls.find((u) => u.raw !== null && isSet(u.source));
  if (first !== undefined && first.raw !== null && isSet(first.source))
    return { url: parseRedisUrl(first.raw), from: `${first.source.variable} at ${first.source.where}` };
  const sm = kept(urls.map((u) => u.source));
  if (sm.length > 0)
    return {
      url: null,
      why: `the Redis URL is in AWS Secrets Manager (ARAGORA_USE_SECRETS_MANAGER=true in ${names(sm)}), not in the files`,
      fix: "pass --redis-url with the secret's value",
    };
  return {
    url: null,
    why: 'no Redis URL: no --redis-url, and no env file sets ARAGORA_REDIS_URL or REDIS_URL',
    fix: 'pass --redis-url, or --env-file for each instance',
  };
}

/**
 * A warning, only when it applies: the server check connected to (given by a
 * flag or the environment) is not the one the instances' files name, so what
 * it found is about another server.
 */
export function probeTargetItem(
  id: string,
  server: string,
  probe: { target: string; from: string } | null,
  sources: readonly TargetSource[],
): CheckItem | null {
  if (probe === null) return null;
  const targets = [...new Set(sources.filter(isSet).map((s) => s.target))];
  if (targets.length === 0 || targets.includes(probe.target)) return null;
  return before(
    id,
    `The ${server} checked is the one the instances name`,
    'warn',
    `check connected to ${probe.target} (from ${probe.from}); the instances' files name ${targets.join(', ')}`,
    `if that is another way to the same server (a tunnel, another name), nothing to do; else pass the instances' own URL`,
  );
}

/** The target of a DSN given by flag or environment, for probeTargetItem; null when it cannot be read. */
export function givenPgTarget(dsn: TargetDsn | null): string | null {
  if (dsn === null) return null;
  try {
    return pgTarget(dsn.connectionString).target;
  } catch {
    return null;
  }
}
