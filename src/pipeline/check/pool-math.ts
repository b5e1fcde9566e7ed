import type { CheckItem } from '../../report/check-report.js';
import { quoteIdent } from '../../util/quote.js';
import { POOL_DEFAULTS, type InstancePool } from './env-pool-settings.js';
import { before } from './items.js';

/**
 * Whether every instance's pool fits the shared server at once:
 * instances × (pool size + overflow) against the connections the server can
 * still give, and against the role's and the database's CONNECTION LIMIT when
 * set. Pure: src/pipeline/check/pg-checks.ts reads the numbers.
 */
export interface ServerConnections {
  readonly maxConnections: number;
  readonly superuserReserved: number;
  /** reserved_connections (PostgreSQL 16 and later; 0 before). */
  readonly reserved: number;
  /** Client connections open now, this check's own included. */
  readonly open: number;
  /** The role check connected as: its CONNECTION LIMIT (-1: none) and its connections open now. */
  readonly role: { readonly name: string; readonly limit: number; readonly open: number };
  readonly database: { readonly name: string; readonly limit: number; readonly open: number };
}

export interface PoolDemand {
  readonly instances: number;
  /** Connections all the pools may open at once. */
  readonly total: number;
  /** How the total adds up, e.g. `2 × (20 + 15) = 70`. */
  readonly formula: string;
  /** The largest single pool, for the per-instance fix. */
  readonly overflow: number;
}

/**
 * The connections the instances may open: each instance's pool from its env
 * file; with --instances N beyond the files given, the rest are counted like
 * the largest given (or with Aragora's defaults when no file is).
 */
export function poolDemand(pools: readonly InstancePool[], expected: number | undefined): PoolDemand | null {
  const extra = Math.max(0, (expected ?? 0) - pools.length);
  if (pools.length === 0 && extra === 0) return null;
  const largest = pools.reduce<InstancePool | null>(
    (m, p) => (m === null || p.size + p.overflow > m.size + m.overflow ? p : m),
    null,
  ) ?? { instance: 'default', ...POOL_DEFAULTS };
  const all = [...pools, ...Array.from({ length: extra }, () => largest)];
  const total = all.reduce((n, p) => n + p.size + p.overflow, 0);
  const first = all[0] as InstancePool;
  const uniform = all.every((p) => p.size === first.size && p.overflow === first.overflow);
  const formula = uniform
    ? `${all.length} × (${first.size} + ${first.overflow}) = ${total}`
    : `${all.map((p) => `(${p.size} + ${p.overflow})`).join(' + ')} = ${total}`;
  const assumed =
    extra === 0
      ? ''
      : pools.length === 0
        ? ` (--instances ${all.length}, Aragora's default pool assumed for each)`
        : ` (--instances ${all.length}: ${extra} more counted like the largest pool given)`;
  return { instances: all.length, total, formula: `${formula}${assumed}`, overflow: largest.overflow };
}

interface Limit {
  readonly free: number;
  readonly said: string;
  readonly raise: (needed: number) => string;
}

function limits(s: ServerConnections): Limit[] {
  const out: Limit[] = [];
  const free = s.maxConnections - s.superuserReserved - s.reserved - s.open;
  out.push({
    free,
    said: `${free} free on the server (${s.maxConnections} max_connections − ${s.superuserReserved} superuser_reserved_connections${s.reserved > 0 ? ` − ${s.reserved} reserved_connections` : ''} − ${s.open} open now, this check's included)`,
    raise: (n) => `raise max_connections to ${s.maxConnections + n} (a server restart; on RDS, its parameter group)`,
  });
  if (s.role.limit >= 0)
    out.push({
      free: s.role.limit - s.role.open,
      said: `${s.role.limit - s.role.open} free for role ${s.role.name} (CONNECTION LIMIT ${s.role.limit}, ${s.role.open} open)`,
      raise: (n) => `ALTER ROLE ${quoteIdent(s.role.name)} CONNECTION LIMIT ${s.role.limit + n}`,
    });
  if (s.database.limit >= 0)
    out.push({
      free: s.database.limit - s.database.open,
      said: `${s.database.limit - s.database.open} free for database ${s.database.name} (CONNECTION LIMIT ${s.database.limit}, ${s.database.open} open)`,
      raise: (n) => `ALTER DATABASE ${quoteIdent(s.database.name)} CONNECTION LIMIT ${s.database.limit + n}`,
    });
  return out;
}

/** Per-instance pool settings that fit `free` connections shared by `instances`, or null when none would. */
export function fittingPool(free: number, instances: number, overflow: number): string | null {
  const per = Math.floor(free / instances);
  if (per < 1) return null;
  if (per - overflow >= 1) return `ARAGORA_DB_POOL_SIZE=${per - overflow} (with ARAGORA_DB_POOL_OVERFLOW=${overflow})`;
  const o = Math.floor(per / 2);
  return `ARAGORA_DB_POOL_SIZE=${per - o} and ARAGORA_DB_POOL_OVERFLOW=${o}`;
}

export function poolItem(demand: PoolDemand, server: ServerConnections): CheckItem {
  const title = "Every instance's pool fits the server's connections";
  const all = limits(server);
  const binding = all.reduce((m, l) => (l.free < m.free ? l : m));
  const headroom = binding.free - demand.total;
  const detail = `the pools may open ${demand.formula} connections; ${all.map((l) => l.said).join('; ')}`;
  if (headroom >= 0) return before('pg.pool', title, 'pass', `${detail}; headroom ${headroom}`);
  const short = -headroom;
  const lower = fittingPool(binding.free, demand.instances, demand.overflow);
  return before(
    'pg.pool',
    title,
    'fail',
    `${detail}; ${short} short`,
    `${binding.raise(short)}${lower === null ? '' : `, or lower each instance's pool to ${lower}`}; then run check again`,
  );
}
