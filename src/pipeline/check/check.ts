import { DEFAULTS } from '../../defaults.js';
import { readFileSync } from 'node:fs';
import type { TargetDsn } from '../../config/dsn.js';
import { ConfigError, EXIT } from '../../errors.js';
import type { CheckItem, CheckPhase, CheckReport, CheckStatus } from '../../report/check-report.js';
import { afterSwitchChecks } from './after-switch.js';
import { beforeSwitchChecks } from './before-switch.js';
import { envVar, readInstance } from './env-instances.js';
import { instanceDsn } from './env-postgres.js';
import { instanceRedis } from './env-redis.js';
import { pgProbe, redisProbe } from './probes.js';
import { parseRedisUrl, RedisUrlError, type RedisUrl } from './redis-url.js';
import { secretsOf, scrub } from './secrets.js';

export interface CheckOptions {
  /**
   * The instances' env files, one entry per instance (each `--env-file`,
   * with the `--drop-in` files after it: an instance's KEY=VALUE file and its
   * systemd drop-in are one entry of two paths).
   */
  readonly envFiles?: readonly (readonly string[])[];
  /** The PostgreSQL to connect to (--database-url, or the environment's DSN); null: the first instance file's. */
  readonly target?: TargetDsn | null;
  /** Where `target` came from, for the checklist (default `--database-url`). */
  readonly targetFrom?: string;
  /** The Redis to connect to (--redis-url); null: the first instance file's. */
  readonly redisUrl?: string | null;
  /** https://<load balancer> (--url): with instanceUrls, the after-the-switch checks run. */
  readonly loadBalancerUrl?: string | null;
  readonly instanceUrls?: readonly string[];
  /** How many instances share the server (--instances); default: the instance URLs, else the env files. */
  readonly expectedInstances?: number;
  readonly timeoutMs?: number;
  /** PEM CA trusted besides the system's roots, for https:// and rediss:// (--ca-file). */
  readonly caFile?: string;
  readonly keptInstances?: readonly string[];
  /** Run the before-the-switch checks; default: when env files, a target or a Redis URL are given. */
  readonly before?: boolean;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err: unknown) {
    throw new ConfigError('CONFIG_INVALID', `cannot read the CA file ${path} (--ca-file)`, {
      cause: err,
      hint: "Pass a PEM file with the CA certificate(s) that signed the servers' certificates.",
    });
  }
}

function givenRedis(raw: string | null | undefined): RedisUrl | null {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  try {
    return parseRedisUrl(raw);
  } catch (err: unknown) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `--redis-url ${err instanceof RedisUrlError ? err.message : 'does not parse'}`,
      {
        hint: 'Use the form rediss://:<token>@host:6379 (rediss:// for TLS; the token after the colon).',
      },
    );
  }
}

function counts(items: readonly CheckItem[]): Record<CheckStatus, number> {
  const c: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const i of items) c[i.status]++;
  return c;
}

/**
 * The cutover checklist: before the switch, the instances' env files and the
 * shared PostgreSQL and Redis they name; after it, the instances' HTTP
 * endpoints, pg_stat_activity and the ledger (src/pipeline/check/after-switch.ts).
 * Every item ends pass, fail, warn or skip; exit 5 when any fails. Reads
 * only: the one table it creates, to prove it may, is rolled back.
 */
export async function runCheck(opts: CheckOptions): Promise<CheckReport> {
  const envFiles = (opts.envFiles ?? []).filter((files) => files.length > 0);
  const instanceUrls = opts.instanceUrls ?? [];
  const loadBalancerUrl = opts.loadBalancerUrl ?? null;
  const after = loadBalancerUrl !== null || instanceUrls.length > 0;
  const redisGiven = givenRedis(opts.redisUrl);
  const target = opts.target ?? null;
  const runBefore = opts.before ?? (envFiles.length > 0 || target !== null || redisGiven !== null);
  if (!runBefore && !after)
    throw new ConfigError('CONFIG_INVALID', 'check has nothing to check', {
      hint: "Before the switch: pass --env-file once per instance (and --database-url, --redis-url when the URLs are not in the files). After it: pass --url with the load balancer's URL and --instance-url for each instance.",
    });
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.checkTimeoutMs;
  const ca = opts.caFile === undefined ? undefined : readCa(opts.caFile);
  const instances = envFiles.map(readInstance);
  const dsns = instances.map(instanceDsn);
  const redis = instances.map(instanceRedis);
  const pg = pgProbe(target, opts.targetFrom ?? '--database-url', dsns);

  const phases: CheckPhase[] = [];
  const items: CheckItem[] = [];
  if (runBefore) {
    phases.push('before');
    items.push(
      ...(await beforeSwitchChecks({
        instances,
        dsns,
        redis,
        pg,
        pgGiven: target !== null,
        redisProbe: redisProbe(redisGiven, redis),
        ...(opts.expectedInstances !== undefined ? { expectedInstances: opts.expectedInstances } : {}),
        timeoutMs,
        ...(ca !== undefined ? { ca } : {}),
      })),
    );
  }
  if (after) {
    phases.push('after');
    // The token the instances' own clients use; only a file holds it, never a flag (a flag shows in ps).
    const apiToken = instances.map((i) => envVar(i, 'ARAGORA_API_TOKEN')?.value).find((t) => t !== undefined);
    items.push(
      ...(await afterSwitchChecks({
        loadBalancerUrl,
        instanceUrls,
        target: pg.dsn,
        expectedInstances: opts.expectedInstances ?? (instanceUrls.length > 0 ? instanceUrls.length : envFiles.length),
        timeoutMs,
        ...(opts.caFile !== undefined ? { caFile: opts.caFile } : {}),
        keptInstances: opts.keptInstances ?? [],
        ...(apiToken !== undefined ? { apiToken } : {}),
      })),
    );
  }
  // Every item is built never to hold a secret; this is the net under that promise.
  const clean = scrub(items, secretsOf(instances, target, redisGiven));
  const c = counts(clean);
  const ok = c.fail === 0;
  return {
    command: 'check',
    exitCode: ok ? EXIT.OK : EXIT.REFUSED,
    ok,
    phases,
    instances: instances.map((i) => i.name),
    items: clean,
    counts: c,
  };
}
