import type { CheckItem } from '../../report/check-report.js';
import type { InstanceEnv } from './env-instances.js';
import { flagItems } from './env-flags.js';
import { poolSettings } from './env-pool-settings.js';
import { samePostgresItem, sslModeItem, postgresVarsItem, type InstanceDsn } from './env-postgres.js';
import { redisTlsItem, sameRedisItem, type InstanceRedis } from './env-redis.js';
import { timeoutsItem } from './env-timeouts.js';
import { before } from './items.js';
import { postgresItems, type PgProbe, type PoolInput } from './pg-checks.js';
import { poolDemand } from './pool-math.js';
import { givenPgTarget, probeTargetItem } from './probes.js';
import { redisItems, type RedisProbe } from './redis-checks.js';

/**
 * The before-the-switch checklist: the instances' env files compared and
 * judged, then the shared PostgreSQL and Redis probed as those files reach
 * them. Items come in a fixed order: env files, PostgreSQL, Redis.
 */
export interface BeforeSwitchInput {
  readonly instances: readonly InstanceEnv[];
  readonly dsns: readonly InstanceDsn[];
  readonly redis: readonly InstanceRedis[];
  readonly pg: PgProbe;
  /** Whether the PostgreSQL probed was given (flag or environment) rather than taken from a file. */
  readonly pgGiven: boolean;
  readonly redisProbe: RedisProbe;
  readonly expectedInstances?: number;
  readonly timeoutMs: number;
  readonly ca?: string;
}

export async function beforeSwitchChecks(input: BeforeSwitchInput): Promise<CheckItem[]> {
  const { instances, dsns, redis, pg, redisProbe: rp } = input;
  const items: CheckItem[] = [];
  let pool: PoolInput;
  if (instances.length === 0) {
    items.push(
      before(
        'env.files',
        "The instances' env files",
        'skip',
        "no --env-file given: the instances' settings were not read",
        "pass --env-file FILE once per instance (and --drop-in FILE after it for that instance's systemd drop-in)",
      ),
    );
    const demand = poolDemand([], input.expectedInstances);
    pool =
      demand === null
        ? {
            why: 'how many instances share the server is not known',
            fix: 'pass --env-file for each instance, or --instances N',
          }
        : { demand };
  } else {
    items.push(samePostgresItem(dsns));
    const vars = postgresVarsItem(instances);
    if (vars !== null) items.push(vars);
    items.push(sameRedisItem(redis), ...flagItems(instances));
    const settings = poolSettings(instances);
    items.push(settings.item, timeoutsItem(instances));
    const demand = settings.pools === null ? null : poolDemand(settings.pools, input.expectedInstances);
    pool =
      demand === null
        ? { why: 'the pool settings are not whole numbers (see above)', fix: 'correct the pool settings first' }
        : { demand };
  }
  items.push(sslModeItem(dsns, pg.dsn === null ? null : { label: pg.from, sslMode: pg.dsn.sslMode }));
  const given = input.pgGiven && pg.dsn !== null ? givenPgTarget(pg.dsn) : null;
  const pgMismatch = probeTargetItem(
    'pg.target',
    'PostgreSQL',
    given === null || pg.dsn === null ? null : { target: given, from: pg.from },
    dsns.map((d) => d.source),
  );
  if (pgMismatch !== null) items.push(pgMismatch);
  items.push(...(await postgresItems(pg, pool)));
  items.push(
    redisTlsItem(
      redis,
      rp.url === null || rp.from !== '--redis-url' ? null : { label: '--redis-url', tls: rp.url.tls },
    ),
  );
  const redisMismatch = probeTargetItem(
    'redis.target',
    'Redis',
    rp.url === null || rp.from !== '--redis-url' ? null : { target: rp.url.target, from: rp.from },
    redis.map((r) => r.source),
  );
  if (redisMismatch !== null) items.push(redisMismatch);
  items.push(
    ...(await redisItems(rp, { timeoutMs: input.timeoutMs, ...(input.ca !== undefined ? { ca: input.ca } : {}) })),
  );
  return items;
}
