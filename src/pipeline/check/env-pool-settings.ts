import type { CheckItem } from '../../report/check-report.js';
import { envVar, shown, wholeNumber, type InstanceEnv } from './env-instances.js';
import { before } from './items.js';

/** Aragora's pool defaults when the variables are unset (its settings: pool size 20, overflow 15). */
export const POOL_DEFAULTS = { size: 20, overflow: 15 } as const;

/** One instance's pool: at most size + overflow connections to the shared server. */
export interface InstancePool {
  readonly instance: string;
  readonly size: number;
  readonly overflow: number;
}

/**
 * Each instance's ARAGORA_DB_POOL_SIZE and ARAGORA_DB_POOL_OVERFLOW, as whole
 * numbers (Aragora reads them with int(): anything else stops it at start).
 * `pools` is null when any instance's value is not a number: the pool
 * arithmetic then has nothing sound to add up.
 */
export function poolSettings(instances: readonly InstanceEnv[]): {
  item: CheckItem;
  pools: InstancePool[] | null;
} {
  const title = 'Pool settings are whole numbers';
  const bad: string[] = [];
  const pools: InstancePool[] = [];
  const said: string[] = [];
  for (const inst of instances) {
    const read = (name: string, fallback: number): { n: number; from: string } => {
      const v = envVar(inst, name);
      if (v === undefined) return { n: fallback, from: 'default' };
      const n = wholeNumber(v.value);
      if (n === null || v.unresolved) {
        bad.push(`${name}=${shown(v.value)} at ${v.where}`);
        return { n: fallback, from: 'default' };
      }
      return { n, from: v.where };
    };
    const size = read('ARAGORA_DB_POOL_SIZE', POOL_DEFAULTS.size);
    const overflow = read('ARAGORA_DB_POOL_OVERFLOW', POOL_DEFAULTS.overflow);
    pools.push({ instance: inst.name, size: size.n, overflow: overflow.n });
    const note = size.from === 'default' && overflow.from === 'default' ? ' (the defaults)' : '';
    said.push(`${inst.name}: ${size.n} + ${overflow.n} overflow${note}`);
  }
  if (bad.length > 0)
    return {
      item: before(
        'env.pool-settings',
        title,
        'fail',
        `not a whole number: ${bad.join('; ')}`,
        `write a whole number there (the pool size, e.g. ${POOL_DEFAULTS.size}; the overflow, e.g. ${POOL_DEFAULTS.overflow}), or remove the line for Aragora's default`,
      ),
      pools: null,
    };
  return { item: before('env.pool-settings', title, 'pass', said.join('; ')), pools };
}
