import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../../../src/config/env-file.js';
import { flagItems } from '../../../../src/pipeline/check/env-flags.js';
import { instanceFromFiles, type InstanceEnv } from '../../../../src/pipeline/check/env-instances.js';
import { poolSettings } from '../../../../src/pipeline/check/env-pool-settings.js';
import {
  instanceDsn,
  postgresVarsItem,
  samePostgresItem,
  sslModeItem,
} from '../../../../src/pipeline/check/env-postgres.js';
import { instanceRedis, redisTlsItem, sameRedisItem } from '../../../../src/pipeline/check/env-redis.js';
import { timeoutsItem } from '../../../../src/pipeline/check/env-timeouts.js';

/** One instance from files given as path → text. */
const inst = (files: Record<string, string>): InstanceEnv =>
  instanceFromFiles(Object.entries(files).map(([path, text]) => parseEnvFile(text, path)));

const GOOD = [
  'ARAGORA_DB_BACKEND=postgresql',
  'ARAGORA_REQUIRE_DISTRIBUTED=true',
  'ARAGORA_MULTI_INSTANCE=true',
  'ARAGORA_SINGLE_INSTANCE=false',
  'ARAGORA_ENV=production',
].join('\n');

const dsn = (host: string, password = 'pg-secret-1', query = '?sslmode=require'): string =>
  `postgresql://aragora:${password}@${host}:5432/aragora${query}`;

describe('an instance from its files', () => {
  it('lets a KEY=VALUE file override a drop-in, as EnvironmentFile= overrides Environment=', () => {
    const i = inst({
      'a.env': 'ARAGORA_DB_POOL_SIZE=30\n',
      'a.conf': '[Service]\nEnvironment=ARAGORA_DB_POOL_SIZE=10 ARAGORA_DB_POOL_OVERFLOW=5\n',
    });
    expect(i.name).toBe('a.env + a.conf');
    expect(i.vars.get('ARAGORA_DB_POOL_SIZE')).toMatchObject({ value: '30', where: 'a.env:1' });
    expect(i.vars.get('ARAGORA_DB_POOL_OVERFLOW')).toMatchObject({ value: '5', where: 'a.conf:2' });
  });
});

describe('the same PostgreSQL on every instance', () => {
  it('passes when URL and key=value forms name the same server, ARAGORA_POSTGRES_DSN over DATABASE_URL', () => {
    const a = inst({ 'a.env': `ARAGORA_POSTGRES_DSN=${dsn('DB.example.com')}\nDATABASE_URL=${dsn('other')}\n` });
    const b = inst({
      'b.conf': `[Service]\nEnvironment="DATABASE_URL=host=db.example.com dbname=aragora user=aragora password=pg-secret-1 sslmode=require"\n`,
    });
    const item = samePostgresItem([a, b].map(instanceDsn));
    expect(item.status).toBe('pass');
    expect(item.detail).toContain('aragora@db.example.com:5432/aragora');
    expect(item.detail).toContain('ARAGORA_POSTGRES_DSN at a.env:1');
    expect(item.detail).toContain('DATABASE_URL at b.conf:2');
  });

  it('fails naming the instance that differs and how, without a password', () => {
    const a = inst({ 'a.env': `ARAGORA_POSTGRES_DSN=${dsn('db1')}\n` });
    const b = inst({ 'b.env': `ARAGORA_POSTGRES_DSN=${dsn('db1')}\n` });
    const c = inst({ 'c.env': `ARAGORA_POSTGRES_DSN=${dsn('db2', 'pg-secret-2')}\n` });
    const item = samePostgresItem([a, b, c].map(instanceDsn));
    expect(item.status).toBe('fail');
    expect(item.detail).toContain('aragora@db2:5432/aragora from ARAGORA_POSTGRES_DSN at c.env:1');
    expect(item.fix).toContain(
      'Point ARAGORA_POSTGRES_DSN in c.env at aragora@db1:5432/aragora, as a.env and b.env do',
    );
    expect(JSON.stringify(item)).not.toMatch(/pg-secret/);
  });

  it('warns when the same server is named with different passwords, never showing them', () => {
    const a = inst({ 'a.env': `ARAGORA_POSTGRES_DSN=${dsn('db1', 'pg-secret-1')}\n` });
    const b = inst({ 'b.env': `ARAGORA_POSTGRES_DSN=${dsn('db1', 'pg-secret-2')}\n` });
    const item = samePostgresItem([a, b].map(instanceDsn));
    expect(item.status).toBe('warn');
    expect(item.detail).toContain('the passwords differ between a.env and b.env (not shown)');
    expect(JSON.stringify(item)).not.toMatch(/pg-secret/);
  });

  it('fails an instance with no DSN, and skips with --database-url named when Secrets Manager holds them', () => {
    const none = samePostgresItem([inst({ 'a.env': GOOD })].map(instanceDsn));
    expect(none.status).toBe('fail');
    expect(none.fix).toContain('Set ARAGORA_POSTGRES_DSN in a.env');
    const sm = samePostgresItem(
      [
        inst({ 'a.env': 'ARAGORA_USE_SECRETS_MANAGER=true\n' }),
        inst({ 'b.env': 'ARAGORA_USE_SECRETS_MANAGER=true\n' }),
      ].map(instanceDsn),
    );
    expect(sm.status).toBe('skip');
    expect(sm.detail).toContain('a.env and b.env take it from AWS Secrets Manager');
    expect(sm.fix).toContain('--database-url');
  });
});

describe('sslmode', () => {
  it('passes require and stronger, fails the rest naming the line', () => {
    const strong = [dsn('h'), dsn('h', 'x', '?sslmode=verify-full')].map((d, n) =>
      inst({ [`${n}.env`]: `DATABASE_URL=${d}\n` }),
    );
    expect(sslModeItem(strong.map(instanceDsn), null).status).toBe('pass');
    const weak = inst({ 'w.env': `DATABASE_URL=${dsn('h', 'x', '')}\n` });
    const item = sslModeItem([weak].map(instanceDsn), null);
    expect(item.status).toBe('fail');
    expect(item.detail).toContain('prefer in w.env:1');
    expect(item.fix).toContain('sslmode=require');
  });
});

describe('other PostgreSQL variables', () => {
  it('warns only when DATABASE_URL contradicts ARAGORA_POSTGRES_DSN, or SUPABASE_POSTGRES_DSN is set', () => {
    expect(
      postgresVarsItem([inst({ 'a.env': `ARAGORA_POSTGRES_DSN=${dsn('h')}\nDATABASE_URL=${dsn('h')}\n` })]),
    ).toBeNull();
    const item = postgresVarsItem([
      inst({
        'a.env': `ARAGORA_POSTGRES_DSN=${dsn('h')}\nDATABASE_URL=${dsn('old')}\nSUPABASE_POSTGRES_DSN=${dsn('s')}\n`,
      }),
    ]);
    expect(item?.status).toBe('warn');
    expect(item?.detail).toContain('DATABASE_URL (a.env:2) names aragora@old:5432/aragora');
    expect(item?.detail).toContain('SUPABASE_POSTGRES_DSN is set (a.env:3)');
    expect(JSON.stringify(item)).not.toContain('pg-secret');
  });
});

describe('Redis', () => {
  it('compares without the token, ARAGORA_REDIS_URL over REDIS_URL', () => {
    const a = inst({ 'a.env': 'ARAGORA_REDIS_URL=rediss://:tok-aaaa@cache:6379\nREDIS_URL=redis://elsewhere\n' });
    const b = inst({ 'b.env': 'REDIS_URL=rediss://:tok-aaaa@CACHE:6379/0\n' });
    expect(sameRedisItem([a, b].map(instanceRedis)).status).toBe('pass');
    const c = inst({ 'c.env': 'REDIS_URL=rediss://:tok-cccc@cache2:6379\n' });
    const item = sameRedisItem([a, c].map(instanceRedis));
    expect(item.status).toBe('fail');
    expect(item.detail).toContain('rediss://cache2:6379/0 from REDIS_URL at c.env:1');
    expect(JSON.stringify(item)).not.toMatch(/tok-/);
  });

  it('fails redis:// naming the line, passes rediss://', () => {
    const plain = inst({ 'p.env': 'ARAGORA_REDIS_URL=redis://:tok-pppp@cache:6379\n' });
    const item = redisTlsItem([plain].map(instanceRedis), null);
    expect(item.status).toBe('fail');
    expect(item.detail).toContain('p.env:1');
    expect(item.fix).toContain('rediss://');
    expect(redisTlsItem([], { label: '--redis-url', tls: true }).status).toBe('pass');
  });
});

describe('the distributed-mode settings', () => {
  it('passes the guide values, warns near spellings, fails the rest naming each instance', () => {
    const good = inst({ 'a.env': GOOD });
    expect(flagItems([good]).map((i) => i.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    const near = inst({ 'b.env': GOOD.replace('postgresql', 'postgres').replace('DISTRIBUTED=true', 'DISTRIBUTED=1') });
    const wrong = inst({ 'c.env': 'ARAGORA_DB_BACKEND=sqlite\nARAGORA_SINGLE_INSTANCE=true\n' });
    const items = flagItems([good, near, wrong]);
    const backend = items.find((i) => i.id === 'env.db-backend');
    expect(backend?.status).toBe('fail');
    expect(backend?.detail).toContain('c.env:1: "sqlite"');
    expect(backend?.detail).toContain('b.env:1: "postgres"');
    expect(backend?.fix).toBe('Set ARAGORA_DB_BACKEND=postgresql in b.env:1 and c.env:1, then restart the service.');
    expect(flagItems([good, near]).find((i) => i.id === 'env.require-distributed')?.status).toBe('warn');
    expect(items.find((i) => i.id === 'env.production')?.detail).toContain('c.env: not set');
  });
});

describe('pool and timeout settings', () => {
  it('reads whole numbers with the defaults, and fails a value that is not one with its line', () => {
    const ok = poolSettings([inst({ 'a.env': 'ARAGORA_DB_POOL_SIZE=30\n' }), inst({ 'b.env': '' })]);
    expect(ok.item.status).toBe('pass');
    expect(ok.pools).toEqual([
      { instance: 'a.env', size: 30, overflow: 15 },
      { instance: 'b.env', size: 20, overflow: 15 },
    ]);
    const bad = poolSettings([inst({ 'a.env': 'ARAGORA_DB_POOL_SIZE=twenty\nARAGORA_DB_POOL_OVERFLOW=1.5\n' })]);
    expect(bad.item.status).toBe('fail');
    expect(bad.item.detail).toContain('ARAGORA_DB_POOL_SIZE="twenty" at a.env:1');
    expect(bad.item.detail).toContain('ARAGORA_DB_POOL_OVERFLOW="1.5" at a.env:2');
    expect(bad.pools).toBeNull();
  });

  it('reports the timeouts set, and warns one that is not a number', () => {
    expect(timeoutsItem([inst({ 'a.env': '' })]).detail).toContain("Aragora's defaults apply");
    const set = timeoutsItem([inst({ 'a.env': 'ARAGORA_DB_STATEMENT_TIMEOUT=30\nARAGORA_DB_POOL_RECYCLE=1800.5\n' })]);
    expect(set.status).toBe('pass');
    expect(set.detail).toBe('ARAGORA_DB_STATEMENT_TIMEOUT=30 (a.env:1), ARAGORA_DB_POOL_RECYCLE=1800.5 (a.env:2)');
    const bad = timeoutsItem([inst({ 'a.env': 'ARAGORA_DB_COMMAND_TIMEOUT=60s\n' })]);
    expect(bad.status).toBe('warn');
    expect(bad.detail).toContain('ARAGORA_DB_COMMAND_TIMEOUT="60s" at a.env:1');
  });
});
