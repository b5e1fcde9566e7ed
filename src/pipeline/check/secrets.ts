import type { TargetDsn } from '../../config/dsn.js';
import type { CheckItem } from '../../report/check-report.js';
import { envVar, type InstanceEnv } from './env-instances.js';
import { pgTarget } from './pg-target.js';
import { parseRedisUrl, type RedisUrl } from './redis-url.js';

/**
 * The passwords and tokens check was given (in the env files' URLs and in the
 * flags), and the pass that takes any of them out of the checklist's text.
 * Items are written never to hold one; this is the net under that.
 */
const URL_VARS = ['ARAGORA_POSTGRES_DSN', 'DATABASE_URL', 'SUPABASE_POSTGRES_DSN'] as const;
const REDIS_VARS = ['ARAGORA_REDIS_URL', 'REDIS_URL'] as const;

function tryOr<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

export function secretsOf(
  instances: readonly InstanceEnv[],
  target: TargetDsn | null,
  redis: RedisUrl | null,
): string[] {
  const out = new Set<string>();
  const add = (s: string | null | undefined): void => {
    if (s === null || s === undefined || s === '') return;
    out.add(s);
    out.add(encodeURIComponent(s));
  };
  for (const inst of instances) {
    for (const name of URL_VARS) {
      const v = envVar(inst, name);
      if (v !== undefined) add(tryOr(() => pgTarget(v.value).password));
    }
    for (const name of REDIS_VARS) {
      const v = envVar(inst, name);
      if (v !== undefined) add(tryOr(() => parseRedisUrl(v.value).password));
    }
    add(envVar(inst, 'SUPABASE_DB_PASSWORD')?.value);
    add(envVar(inst, 'ARAGORA_API_TOKEN')?.value);
  }
  if (target !== null) add(tryOr(() => pgTarget(target.connectionString).password));
  add(redis?.password);
  // Shorter strings would blank ordinary words; a password that short is not one a deployment uses.
  return [...out].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

function clean(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const s of secrets) t = t.replaceAll(s, '***');
  return t;
}

export function scrub(items: readonly CheckItem[], secrets: readonly string[]): CheckItem[] {
  if (secrets.length === 0) return [...items];
  return items.map((i) => ({
    ...i,
    title: clean(i.title, secrets),
    subject: i.subject === null ? null : clean(i.subject, secrets),
    detail: clean(i.detail, secrets),
    fix: i.fix === null ? null : clean(i.fix, secrets),
  }));
}
