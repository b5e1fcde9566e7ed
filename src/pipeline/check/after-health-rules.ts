import { bodyExcerpt } from './http-excerpt.js';

/**
 * What Aragora's probes must say once an instance runs on the shared
 * PostgreSQL and Redis, judged from the JSON they answer. The shapes are
 * Aragora's aragora/server/handlers/admin/health/kubernetes.py:
 * `liveness_probe` (/healthz, lines 26-55), `readiness_probe_fast` (/readyz,
 * lines 58-189: `checks.db_pool` and `checks.redis_pool` are true, false or
 * "not_configured", and say only whether the pool object exists, not whether
 * it is ready, which is why both are read besides `status`), and
 * `readiness_dependencies` (/readyz/dependencies, lines 192-422: `checks.redis`
 * is `{connected, message}` only when distributed state is required).
 */

/** A judged probe: pass, or fail with what was wrong and its fix. */
export type Verdict =
  | { readonly pass: true; readonly detail: string }
  | { readonly pass: false; readonly detail: string; readonly fix: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const RESTART = 'then restart the instance (systemctl restart aragora)';
const DB_ENV = 'DATABASE_URL (or ARAGORA_POSTGRES_DSN) in the instance’s environment file';
const REDIS_ENV = 'ARAGORA_REDIS_URL=rediss://:<token>@<host>:6379 in the instance’s environment file';

/** `GET /healthz`: `{"status":"ok"}`, without `degraded`. */
export function judgeHealthz(status: number, json: unknown): Verdict {
  if (!isObject(json) || json.status !== 'ok')
    return {
      pass: false,
      detail: `HTTP ${status}, status is ${shown(isObject(json) ? json.status : json)}, not "ok": ${bodyExcerpt(JSON.stringify(json))}`,
      fix: 'The answer is not Aragora’s liveness probe: check that the URL is Aragora’s HTTP API.',
    };
  if (json.degraded === true)
    return {
      pass: false,
      detail: `HTTP ${status}, alive but degraded: ${bodyExcerpt(String(json.degraded_reason ?? '(no reason given)'))}`,
      fix: `Aragora started in degraded mode (a configuration error): its reason above, /api/health and its log say what to correct; ${RESTART}.`,
    };
  if (status !== 200)
    return {
      pass: false,
      detail: `HTTP ${status}`,
      fix: 'The liveness probe must answer 200: see the instance’s log.',
    };
  return { pass: true, detail: 'HTTP 200 {"status":"ok"}' };
}

/** `GET /readyz`: `status` "ready", `checks.db_pool` and `checks.redis_pool` true. */
export function judgeReadyz(status: number, json: unknown): Verdict {
  if (!isObject(json) || typeof json.status !== 'string')
    return {
      pass: false,
      detail: `HTTP ${status}, no "status" field: ${bodyExcerpt(JSON.stringify(json))}`,
      fix: 'The answer is not Aragora’s readiness probe: check that the URL is Aragora’s HTTP API.',
    };
  const checks = isObject(json.checks) ? json.checks : {};
  const problems: string[] = [];
  const fixes: string[] = [];
  if (json.status !== 'ready') {
    const failed = Object.entries(checks)
      .filter(([, v]) => v === false)
      .map(([k]) => k);
    const reason = typeof json.reason === 'string' ? `: ${json.reason}` : '';
    problems.push(
      `status is ${shown(json.status)}${reason}${failed.length > 0 ? ` (failing: ${failed.join(', ')})` : ''}`,
    );
    fixes.push(
      isObject(json.degraded)
        ? `Aragora is in degraded mode (${bodyExcerpt(String(json.degraded.reason ?? ''))}): correct what it names, ${RESTART}.`
        : 'The instance has not finished starting or a subsystem failed: see its log (journalctl -u aragora).',
    );
  }
  for (const [key, envFix, what] of [
    ['db_pool', DB_ENV, 'PostgreSQL'],
    ['redis_pool', REDIS_ENV, 'Redis'],
  ] as const) {
    const v = checks[key];
    if (v === true) continue;
    if (v === 'not_configured') {
      problems.push(`${key} is "not_configured"`);
      fixes.push(`Set ${envFix}, ${RESTART}.`);
    } else if (v === false) {
      problems.push(`${key} is false`);
      fixes.push(`The ${what} pool was not created: the instance’s log says why (URL, TLS, credentials), ${RESTART}.`);
    } else if (json.status === 'ready' || v !== undefined) {
      problems.push(`${key} is ${shown(v)}`);
      fixes.push(`This Aragora does not report ${key}: check that it runs a release with the shared-state setup.`);
    }
  }
  if (problems.length === 0) return { pass: true, detail: `HTTP ${status}, ready, db_pool and redis_pool true` };
  return { pass: false, detail: `HTTP ${status}, ${problems.join('; ')}`, fix: fixes.join(' ') };
}

/** `GET /readyz/dependencies`: `status` "ready" with `checks.redis.connected` true. */
export function judgeDependencies(status: number, json: unknown): Verdict {
  if (!isObject(json) || typeof json.status !== 'string')
    return {
      pass: false,
      detail: `HTTP ${status}, no "status" field: ${bodyExcerpt(JSON.stringify(json))}`,
      fix: 'The answer is not Aragora’s dependency probe: check that the URL is Aragora’s HTTP API.',
    };
  if (json.status !== 'ready' && isObject(json.degraded))
    return {
      pass: false,
      detail: `HTTP ${status}, status is ${shown(json.status)}: ${bodyExcerpt(String(json.degraded.reason ?? json.reason ?? 'degraded mode'))}`,
      fix: `Aragora is in degraded mode: correct what it names, ${RESTART}.`,
    };
  const checks = isObject(json.checks) ? json.checks : {};
  const problems: string[] = [];
  const fixes: string[] = [];
  const redis = checks.redis;
  if (!isObject(redis)) {
    problems.push('no checks.redis');
    fixes.push('This Aragora does not report Redis here: check that it runs a release with the shared-state setup.');
  } else if (redis.connected === true) {
    // connected: nothing to fix
  } else if (redis.connected === false) {
    problems.push(`Redis not connected: ${bodyExcerpt(String(redis.message ?? ''))}`);
    fixes.push(
      `The instance cannot reach Redis with its ARAGORA_REDIS_URL: check the host, port 6379 over TLS (rediss://) and the AUTH token, ${RESTART}.`,
    );
  } else if (redis.configured === false) {
    problems.push('Redis is not configured');
    fixes.push(`Set ${REDIS_ENV}, ${RESTART}.`);
  } else if (redis.required === false) {
    problems.push('Redis is configured but not required, so it was not checked');
    fixes.push(
      `Set ARAGORA_REQUIRE_DISTRIBUTED=true and ARAGORA_MULTI_INSTANCE=true in the instance’s environment file, ${RESTART}.`,
    );
  } else {
    problems.push(`Redis check failed: ${bodyExcerpt(JSON.stringify(redis))}`);
    fixes.push(`See the instance’s log for the Redis error (journalctl -u aragora), ${RESTART}.`);
  }
  if (json.status !== 'ready') {
    const failed = Object.entries(checks)
      .filter(([k, v]) => k !== 'redis' && (v === false || (isObject(v) && (v.connected === false || 'error' in v))))
      .map(([k]) => k);
    const reason = typeof json.reason === 'string' ? `: ${json.reason}` : '';
    problems.unshift(
      `status is ${shown(json.status)}${reason}${failed.length > 0 ? ` (failing: ${failed.join(', ')})` : ''}`,
    );
    if (failed.length > 0 || problems.length === 1)
      fixes.unshift('A dependency failed: the failing checks above and the instance’s log say which and why.');
  }
  if (problems.length === 0) return { pass: true, detail: `HTTP ${status}, ready, Redis connected` };
  return { pass: false, detail: `HTTP ${status}, ${problems.join('; ')}`, fix: fixes.join(' ') };
}

/** A JSON value for a detail line: short, masked. */
function shown(v: unknown): string {
  return v === undefined ? 'missing' : bodyExcerpt(JSON.stringify(v));
}
