import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDsn } from '../../../../src/config/dsn.js';
import { runCheck, type CheckItem, type CheckReport } from '../../../../src/index.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { useTestDatabase } from '../../../helpers/pg.js';
import { redisMissing, redisTitle, startRedis, type RedisServer } from '../../../helpers/redis.js';

/**
 * The before-the-switch checklist against the local PostgreSQL (no TLS, so the
 * TLS items are left to check-tls.test.ts) and real Redis servers started here:
 * what each failure says and what it tells to do.
 */
const GUIDE = [
  'ARAGORA_DB_BACKEND=postgresql',
  'ARAGORA_REQUIRE_DISTRIBUTED=true',
  'ARAGORA_MULTI_INSTANCE=true',
  'ARAGORA_SINGLE_INSTANCE=false',
  'ARAGORA_ENV=production',
];

const item = (r: CheckReport, id: string): CheckItem => {
  const found = r.items.find((i) => i.id === id);
  if (found === undefined) throw new Error(`no item ${id} in ${r.items.map((i) => i.id).join(', ')}`);
  return found;
};

describe.skipIf(redisMissing() !== null)(redisTitle('check before the switch'), () => {
  const db = useTestDatabase();
  let redis: RedisServer;
  let plain: RedisServer;
  let managed: RedisServer;
  let dir = '';
  let n = 0;

  beforeAll(async () => {
    [redis, plain, managed] = await Promise.all([
      startRedis(),
      startRedis({ tls: false }),
      // As managed services do: CONFIG renamed away.
      startRedis({ args: ['--rename-command', 'CONFIG', ''] }),
    ]);
    dir = tempDir('check');
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), plain?.stop(), managed?.stop()]);
  });

  /** The local server's URL for this file's database, sslmode=disable: it has no TLS. */
  const pgUrl = (): string => `${db.url}?sslmode=disable`;

  /** An env file with the guide's settings, the shared URLs, and `extra` lines. */
  const envFile = (lines: readonly string[], opts: { pg?: string | null; redis?: string | null } = {}): string => {
    const path = join(dir, `instance-${++n}.env`);
    const pg = opts.pg === undefined ? pgUrl() : opts.pg;
    const r = opts.redis === undefined ? redis.url : opts.redis;
    writeFileSync(
      path,
      [
        ...(pg === null ? [] : [`ARAGORA_POSTGRES_DSN=${pg}`]),
        ...(r === null ? [] : [`ARAGORA_REDIS_URL=${r}`]),
        ...GUIDE,
        ...lines,
        '',
      ].join('\n'),
    );
    return path;
  };
  /** The same as a systemd drop-in. */
  const dropIn = (lines: readonly string[]): string => {
    const path = join(dir, `instance-${++n}.conf`);
    const quoted = [`ARAGORA_POSTGRES_DSN=${pgUrl()}`, `ARAGORA_REDIS_URL=${redis.url}`, ...GUIDE, ...lines];
    writeFileSync(path, `[Service]\n${quoted.map((l) => `Environment="${l}"`).join('\n')}\n`);
    return path;
  };

  it('passes two instances, one KEY=VALUE file and one drop-in, on every item the local server can pass', async () => {
    const r = await runCheck({ envFiles: [[envFile([])], [dropIn([])]], caFile: redis.caFile ?? '' });
    const failed = r.items.filter((i) => i.status === 'fail').map((i) => i.id);
    // The local PostgreSQL has no TLS: only those two fail here (check-tls.test.ts passes them).
    expect(failed).toEqual(['env.sslmode', 'pg.tls']);
    for (const id of [
      'env.same-postgres',
      'env.same-redis',
      'env.db-backend',
      'env.require-distributed',
      'env.multi-instance',
      'env.single-instance',
      'env.production',
      'env.pool-settings',
      'env.timeouts',
      'pg.reachable',
      'pg.create',
      'pg.owner',
      'pg.pool',
      'env.redis-tls',
      'redis.reachable',
      'redis.auth',
      'redis.ping',
      'redis.maxmemory-policy',
    ])
      expect(item(r, id).status, `${id}: ${item(r, id).detail}`).toBe('pass');
    expect(item(r, 'pg.pool').detail).toMatch(
      /2 × \(20 \+ 15\) = 70 connections; \d+ free on the server .*headroom \d+/,
    );
    expect(item(r, 'redis.maxmemory-policy').detail).toBe('maxmemory-policy is noeviction');
    expect(item(r, 'redis.reachable').detail).toMatch(/over TLSv1\.[23]/);
    expect(r.exitCode).toBe(5);
    for (const i of r.items.filter((x) => x.status !== 'pass')) expect(i.fix, i.id).toBeTruthy();
  });

  it('names the instance whose PostgreSQL differs, and how, masked', async () => {
    const other = new URL(pgUrl());
    other.pathname = '/postgres';
    other.password = 'other-pg-password';
    const a = envFile([]);
    const b = envFile([], { pg: other.toString() });
    const r = await runCheck({ envFiles: [[a], [b]], caFile: redis.caFile ?? '' });
    const same = item(r, 'env.same-postgres');
    expect(same.status).toBe('fail');
    expect(same.detail).toContain(`/postgres from ARAGORA_POSTGRES_DSN at ${b}:1`);
    expect(same.fix).toContain(`Point ARAGORA_POSTGRES_DSN in ${b} at`);
    expect(JSON.stringify(r)).not.toContain('other-pg-password');
  });

  it('names the instance whose Redis differs', async () => {
    const a = envFile([]);
    const b = envFile([], { redis: managed.url });
    const r = await runCheck({ envFiles: [[a], [b]], caFile: redis.caFile ?? '' });
    const same = item(r, 'env.same-redis');
    expect(same.status).toBe('fail');
    expect(same.detail).toContain(`rediss://localhost:${managed.port}/0 from ARAGORA_REDIS_URL at ${b}:2`);
    expect(JSON.stringify(r)).not.toContain(managed.password ?? '-');
  });

  it('names the shortfall of a pool that does not fit, and what to set', async () => {
    const r = await runCheck({
      envFiles: [[envFile(['ARAGORA_DB_POOL_SIZE=5000'])], [envFile(['ARAGORA_DB_POOL_SIZE=5000'])]],
      caFile: redis.caFile ?? '',
    });
    const pool = item(r, 'pg.pool');
    expect(pool.status).toBe('fail');
    expect(pool.detail).toMatch(/2 × \(5000 \+ 15\) = 10030 connections; .* (\d+) short$/);
    expect(pool.fix).toMatch(
      /Raise max_connections to \d+ .*or lower each instance's pool to ARAGORA_DB_POOL_SIZE=\d+/,
    );
  });

  it('fails a pool setting that is not a number, naming its line, and skips the arithmetic', async () => {
    const a = envFile(['ARAGORA_DB_POOL_OVERFLOW=lots']);
    const r = await runCheck({ envFiles: [[a]], caFile: redis.caFile ?? '' });
    expect(item(r, 'env.pool-settings')).toMatchObject({ status: 'fail' });
    expect(item(r, 'env.pool-settings').detail).toContain(`ARAGORA_DB_POOL_OVERFLOW="lots" at ${a}:8`);
    expect(item(r, 'pg.pool').status).toBe('skip');
  });

  it('fails a wrong Redis password with the fix, and says nothing of either password', async () => {
    const wrong = new URL(redis.url);
    wrong.password = 'not-the-redis-token';
    const r = await runCheck({ envFiles: [[envFile([], { redis: wrong.toString() })]], caFile: redis.caFile ?? '' });
    const auth = item(r, 'redis.auth');
    expect(auth.status).toBe('fail');
    expect(auth.detail).toMatch(/refused the token: WRONGPASS/);
    expect(auth.fix).toContain('ARAGORA_REDIS_URL');
    expect(item(r, 'redis.ping').status).toBe('skip');
    const text = JSON.stringify(r);
    expect(text).not.toContain('not-the-redis-token');
    expect(text).not.toContain(redis.password ?? '-');
  });

  it('fails redis:// without TLS with the fix, while still asking the server', async () => {
    const r = await runCheck({ envFiles: [[envFile([], { redis: plain.url })]] });
    expect(item(r, 'env.redis-tls')).toMatchObject({ status: 'fail' });
    expect(item(r, 'env.redis-tls').fix).toContain('rediss://');
    expect(item(r, 'redis.reachable').detail).toContain('over plain TCP');
    expect(item(r, 'redis.ping').status).toBe('pass');
  });

  it('needs the CA of a private Redis certificate, and says to pass --ca-file', async () => {
    const r = await runCheck({ envFiles: [[envFile([])]] });
    const reach = item(r, 'redis.reachable');
    expect(reach.status).toBe('fail');
    expect(reach.fix).toContain('--ca-file');
  });

  it('reads maxmemory-policy from INFO when CONFIG is renamed away, as on managed Redis', async () => {
    const r = await runCheck({ envFiles: [[envFile([], { redis: managed.url })]], caFile: managed.caFile ?? '' });
    const policy = item(r, 'redis.maxmemory-policy');
    expect(policy.status).toBe('pass');
    expect(policy.detail).toMatch(/^maxmemory-policy is noeviction \(from INFO memory: CONFIG GET is not allowed here/);
  });

  it('with Secrets Manager on and no URL in the files, skips what needs them and names --database-url and --redis-url', async () => {
    const a = envFile(['ARAGORA_USE_SECRETS_MANAGER=true'], { pg: null, redis: null });
    const b = envFile(['ARAGORA_USE_SECRETS_MANAGER=true'], { pg: null, redis: null });
    const r = await runCheck({ envFiles: [[a], [b]] });
    for (const id of ['env.same-postgres', 'env.sslmode', 'pg.reachable', 'pg.tls', 'pg.create', 'pg.owner', 'pg.pool'])
      expect(`${id}: ${item(r, id).status} ${item(r, id).fix ?? ''}`).toMatch(
        new RegExp(`^${id}: skip .*--database-url`),
      );
    for (const id of ['env.same-redis', 'env.redis-tls', 'redis.reachable', 'redis.auth', 'redis.ping'])
      expect(`${id}: ${item(r, id).status} ${item(r, id).fix ?? ''}`).toMatch(new RegExp(`^${id}: skip .*--redis-url`));
    expect(r.exitCode).toBe(0);

    // With the flags, the servers are checked.
    const given = await runCheck({
      envFiles: [[a], [b]],
      target: parseDsn(pgUrl()),
      redisUrl: redis.url,
      caFile: redis.caFile ?? '',
    });
    expect(item(given, 'pg.create').status).toBe('pass');
    expect(item(given, 'pg.pool').detail).toContain('2 × (20 + 15) = 70');
    expect(item(given, 'redis.ping').status).toBe('pass');
  });

  it('exits 5 through the CLI when an item fails, and 2 when there is nothing to check', () => {
    const r = runCli(['check', '--env-file', envFile(['ARAGORA_DB_POOL_SIZE=5000']), '--ca-file', redis.caFile ?? '']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toContain("✗ Every instance's pool fits the server's connections");
    expect(r.stdout).toMatch(/\n {6}fix: Raise max_connections/);
    expect(r.stdout).toMatch(/✗ \d+ of \d+ item\(s\) failed: the cutover is not ready.*\(exit 5\)\n/);
    const none = runCli(['check']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('check has nothing to check');
  });
});
