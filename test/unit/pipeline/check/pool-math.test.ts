import { describe, expect, it } from 'vitest';
import { fittingPool, poolDemand, poolItem, type ServerConnections } from '../../../../src/pipeline/check/pool-math.js';

const server = (over: Partial<ServerConnections> = {}): ServerConnections => ({
  maxConnections: 100,
  superuserReserved: 3,
  reserved: 0,
  open: 7,
  role: { name: 'aragora', limit: -1, open: 1 },
  database: { name: 'aragora', limit: -1, open: 1 },
  ...over,
});

const pool = (instance: string, size: number, overflow: number) => ({ instance, size, overflow });

describe('poolDemand', () => {
  it('adds every instance: instances × (pool size + overflow)', () => {
    const d = poolDemand([pool('a', 20, 15), pool('b', 20, 15)], undefined);
    expect(d).toMatchObject({ instances: 2, total: 70, formula: '2 × (20 + 15) = 70' });
    expect(poolDemand([pool('a', 20, 15), pool('b', 30, 5)], undefined)?.formula).toBe('(20 + 15) + (30 + 5) = 70');
  });

  it('counts instances beyond the files given like the largest pool, and defaults with no file', () => {
    expect(poolDemand([pool('a', 10, 5)], 3)?.total).toBe(45);
    expect(poolDemand([], 2)?.total).toBe(70);
    expect(poolDemand([], undefined)).toBeNull();
  });
});

describe('poolItem', () => {
  it('names the headroom when the pools fit', () => {
    const item = poolItem(poolDemand([pool('a', 20, 15), pool('b', 20, 15)], undefined)!, server());
    expect(item.status).toBe('pass');
    expect(item.detail).toContain(
      '90 free on the server (100 max_connections − 3 superuser_reserved_connections − 7 open now',
    );
    expect(item.detail).toMatch(/headroom 20$/);
    expect(item.fix).toBeNull();
  });

  it('names the shortfall and what to raise or lower to what', () => {
    const item = poolItem(poolDemand([pool('a', 50, 15), pool('b', 50, 15)], undefined)!, server());
    expect(item.status).toBe('fail');
    expect(item.detail).toMatch(/40 short$/);
    expect(item.fix).toContain('Raise max_connections to 140');
    // 90 free over 2 instances: 45 each, overflow 15 kept.
    expect(item.fix).toContain('ARAGORA_DB_POOL_SIZE=30 (with ARAGORA_DB_POOL_OVERFLOW=15)');
  });

  it("takes the role's or the database's CONNECTION LIMIT when it binds first", () => {
    const item = poolItem(
      poolDemand([pool('a', 20, 15), pool('b', 20, 15)], undefined)!,
      server({ role: { name: 'aragora', limit: 50, open: 1 } }),
    );
    expect(item.status).toBe('fail');
    expect(item.detail).toContain('49 free for role aragora (CONNECTION LIMIT 50, 1 open)');
    expect(item.fix).toContain('ALTER ROLE "aragora" CONNECTION LIMIT 71');
  });

  it('counts reserved_connections (PostgreSQL 16) when set', () => {
    const item = poolItem(poolDemand([pool('a', 20, 15)], undefined)!, server({ reserved: 5 }));
    expect(item.detail).toContain('− 5 reserved_connections');
  });
});

describe('fittingPool', () => {
  it('keeps the overflow when it can, else halves what is left, else says none fits', () => {
    expect(fittingPool(90, 2, 15)).toBe('ARAGORA_DB_POOL_SIZE=30 (with ARAGORA_DB_POOL_OVERFLOW=15)');
    expect(fittingPool(20, 2, 15)).toBe('ARAGORA_DB_POOL_SIZE=5 and ARAGORA_DB_POOL_OVERFLOW=5');
    expect(fittingPool(1, 2, 15)).toBeNull();
  });
});
