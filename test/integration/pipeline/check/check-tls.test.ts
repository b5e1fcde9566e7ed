import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, type CheckReport } from '../../../../src/index.js';
import { makeCerts } from '../../../helpers/certs.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { startEmbedded, type ResolvedServer } from '../../../helpers/global-setup.js';
import { redisMissing, redisTitle, startRedis, type RedisServer } from '../../../helpers/redis.js';

/**
 * The whole before-the-switch checklist passing, against a PostgreSQL with TLS
 * on (started here, as test/integration/target/tls.test.ts does) and a Redis
 * with TLS and a password; sslmode disable and prefer failing; and the CLI's
 * exit codes, with no password or token in any of its outputs.
 */
const GUIDE = [
  'ARAGORA_DB_BACKEND=postgresql',
  'ARAGORA_REQUIRE_DISTRIBUTED=true',
  'ARAGORA_MULTI_INSTANCE=true',
  'ARAGORA_SINGLE_INSTANCE=false',
  'ARAGORA_ENV=production',
  'ARAGORA_DB_STATEMENT_TIMEOUT=60',
];

const status = (r: CheckReport, id: string): string => r.items.find((i) => i.id === id)?.status ?? 'missing';

describe.skipIf(redisMissing() !== null)(redisTitle('check against PostgreSQL and Redis with TLS'), () => {
  let pg: ResolvedServer;
  let redis: RedisServer;
  let certDir = '';
  let dir = '';
  let pgPassword = '';

  beforeAll(async () => {
    [pg, redis] = await Promise.all([
      startEmbedded(
        ['-c', 'ssl=on', '-c', 'ssl_cert_file=../server.crt', '-c', 'ssl_key_file=../server.key'],
        async (scratch) => {
          certDir = scratch;
          makeCerts(scratch, { owner: 'postgres' });
        },
      ),
      startRedis(),
    ]);
    pgPassword = decodeURIComponent(new URL(pg.url).password);
    dir = tempDir('check-tls');
  }, 120_000);
  afterAll(async () => {
    await Promise.all([pg?.teardown?.(), redis?.stop()]);
  });

  const dsn = (query: string): string => {
    const u = new URL(pg.url);
    u.hostname = 'localhost';
    u.search = query;
    return u.toString();
  };
  const verifyFull = (): string => dsn(`?sslmode=verify-full&sslrootcert=${join(certDir, 'ca.crt')}`);

  /** Instance A: one KEY=VALUE file. */
  const instanceA = (pgUrl: string, redisUrl = redis.url): string => {
    const path = join(dir, `a-${Math.random().toString(36).slice(2)}.env`);
    writeFileSync(path, [`ARAGORA_POSTGRES_DSN=${pgUrl}`, `ARAGORA_REDIS_URL="${redisUrl}"`, ...GUIDE, ''].join('\n'));
    return path;
  };
  /** Instance B: its env file with the flags, and a drop-in with the URLs (--env-file, then --drop-in). */
  const instanceB = (pgUrl: string): [string, string] => {
    const env = join(dir, `b-${Math.random().toString(36).slice(2)}.env`);
    const conf = join(dir, `b-${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(env, `${GUIDE.join('\n')}\n`);
    writeFileSync(
      conf,
      `[Service]\nEnvironment="DATABASE_URL=${pgUrl.replaceAll('%', '%%')}" "REDIS_URL=${redis.url.replaceAll('%', '%%')}"\n`,
    );
    return [env, conf];
  };

  it('passes every item with sslmode=verify-full, rediss:// and AUTH', async () => {
    const r = await runCheck({
      envFiles: [[instanceA(verifyFull())], instanceB(verifyFull())],
      caFile: redis.caFile ?? '',
    });
    expect(
      r.items.filter((i) => i.status !== 'pass').map((i) => `${i.id}: ${i.detail}`),
      'every item passes',
    ).toEqual([]);
    expect(r).toMatchObject({ exitCode: 0, ok: true, phases: ['before'] });
    expect(r.items.find((i) => i.id === 'pg.tls')?.detail).toMatch(/^TLSv1\.[23], /);
    expect(r.instances[1]).toMatch(/\.env \+ .*\.conf$/);
  });

  it('fails sslmode=disable (no TLS at all) and prefer (TLS only by luck), each with its fix', async () => {
    const disable = await runCheck({ envFiles: [[instanceA(dsn('?sslmode=disable'))]], caFile: redis.caFile ?? '' });
    expect(status(disable, 'env.sslmode')).toBe('fail');
    expect(status(disable, 'pg.tls')).toBe('fail');
    expect(disable.items.find((i) => i.id === 'pg.tls')?.fix).toContain('sslmode=require');
    expect(disable.exitCode).toBe(5);

    const prefer = await runCheck({ envFiles: [[instanceA(dsn('?sslmode=prefer'))]], caFile: redis.caFile ?? '' });
    expect(status(prefer, 'env.sslmode')).toBe('fail');
    expect(prefer.items.find((i) => i.id === 'env.sslmode')?.detail).toContain('falls back to plain text');
    // This server offers TLS, so this connection got it; the DSN still would not insist.
    expect(status(prefer, 'pg.tls')).toBe('pass');

    const require = await runCheck({ envFiles: [[instanceA(dsn('?sslmode=require'))]], caFile: redis.caFile ?? '' });
    expect(status(require, 'env.sslmode')).toBe('pass');
    expect(require.items.find((i) => i.id === 'pg.tls')?.detail).toContain('not checked (verify-full would check it)');
  });

  it('exits 0 through the CLI, and no output holds a password or token', () => {
    const json = join(dir, 'ok.json');
    const md = join(dir, 'ok.md');
    const b = instanceB(verifyFull());
    const r = runCli([
      'check',
      '--env-file',
      instanceA(verifyFull()),
      '--env-file',
      b[0],
      '--drop-in',
      b[1],
      '--ca-file',
      redis.caFile ?? '',
      '--json',
      json,
      '--markdown',
      md,
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/✓ no item failed: \d+ of \d+ pass \(exit 0\)\n$/);
    expect(r.stdout).toContain(`instance(s): `);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { verdict: string; command: string };
    expect(report).toMatchObject({ command: 'check', verdict: 'ok', exitCode: 0 });
    expect(readFileSync(md, 'utf8')).toMatch(/^# aragora-migrate check\n\n\*\*Verdict:\*\* ✓ no item failed/);
    for (const out of [r.stdout, r.stderr, readFileSync(json, 'utf8'), readFileSync(md, 'utf8')]) {
      expect(out).not.toContain(pgPassword);
      expect(out).not.toContain(redis.password ?? '-');
    }
  });

  it('exits 5 through the CLI when items fail, and still shows no secret, wrong ones included', () => {
    const wrongRedis = new URL(redis.url);
    wrongRedis.password = 'wrong-redis-token-123';
    const wrongPg = new URL(dsn('?sslmode=require'));
    wrongPg.password = 'wrong-pg-password-456';
    const json = join(dir, 'fail.json');
    const md = join(dir, 'fail.md');
    const r = runCli([
      'check',
      '--env-file',
      instanceA(verifyFull(), wrongRedis.toString()),
      '--database-url',
      wrongPg.toString(),
      '--redis-url',
      redis.url,
      '--ca-file',
      redis.caFile ?? '',
      '--json',
      json,
      '--markdown',
      md,
    ]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(/✗ PostgreSQL is reachable/);
    expect(r.stdout).toMatch(/✗ \d+ of \d+ item\(s\) failed/);
    const outputs = [r.stdout, r.stderr, readFileSync(json, 'utf8'), readFileSync(md, 'utf8')];
    for (const out of outputs)
      for (const secret of [pgPassword, redis.password ?? '-', 'wrong-redis-token-123', 'wrong-pg-password-456'])
        expect(out.includes(secret), `a secret in: ${out.slice(0, 200)}`).toBe(false);
    // The same with the report on stdout.
    const viaStdout = runCli(['check', '--database-url', wrongPg.toString(), '--json', '-']);
    expect(viaStdout.code).toBe(5);
    expect(viaStdout.stdout).not.toContain('wrong-pg-password-456');
    expect(JSON.parse(viaStdout.stdout)).toMatchObject({ command: 'check', verdict: 'refused' });
  });
});
