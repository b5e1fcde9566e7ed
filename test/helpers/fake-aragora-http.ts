import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A small real HTTP(S) server answering Aragora's probe and debate-list
 * endpoints with the JSON shapes Aragora's own handlers produce
 * (aragora/server/handlers/admin/health/kubernetes.py for /healthz, /readyz and
 * /readyz/dependencies; aragora/server/handlers/debates/crud.py for
 * /api/v1/debates), or with one of the ways they go wrong.
 */

export type Route = '/healthz' | '/readyz' | '/readyz/dependencies' | '/api/v1/debates';

export type Behaviour =
  | 'healthy'
  /** /healthz: alive but degraded; /readyz and /readyz/dependencies: 503 not_ready in degraded mode. */
  | 'degraded'
  /** /readyz: 503 not_ready, startup not complete; /readyz/dependencies: 503, Redis not connected. */
  | 'not-ready'
  /** /readyz: ready, but redis_pool false. */
  | 'no-redis-pool'
  /** /readyz: ready, but db_pool "not_configured" (no DATABASE_URL). */
  | 'no-database-url'
  /** /readyz/dependencies: Redis configured but not required (distributed mode off). */
  | 'redis-not-required'
  /** 200 JSON without the expected fields. */
  | 'wrong-json'
  /** 200 text/html. */
  | 'not-json'
  /** 500 with a JSON error. */
  | 'error-500'
  /** 500 whose body echoes a DSN, a Redis URL and a token: none may reach a report. */
  | 'leaky-500'
  /** Takes the request and never answers. */
  | 'hang'
  /** Any status and body. */
  | { readonly status: number; readonly body: string; readonly contentType?: string };

export interface FakeAragoraOptions {
  /** Serve HTTPS with this certificate and key (test/helpers/certs.ts makeCerts). */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly routes?: Partial<Record<Route, Behaviour>>;
  /** The id the debate list shows first; null: an empty list. Default 'debate-1'. */
  readonly latestDebateId?: string | null;
  /** When set, /api/v1/debates answers 401 unless `Authorization: Bearer <token>`, as Aragora does with ARAGORA_API_TOKEN. */
  readonly token?: string;
}

export interface FakeAragora {
  /** Base URL, e.g. http://127.0.0.1:40123 (https://localhost:… with TLS, the name the certificate is for). */
  readonly url: string;
  set(route: Route, behaviour: Behaviour): void;
  setLatestDebate(id: string | null): void;
  /** Paths asked so far, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Secrets the 'leaky-500' body holds, for tests to assert they never show. */
export const LEAKED_SECRETS = [
  's3cr3t-pg-pw',
  'r3dis-t0ken',
  'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEF',
];

const READY_CHECKS = {
  degraded_mode: true,
  startup_complete: true,
  handlers_initialized: true,
  storage_initialized: true,
  elo_initialized: true,
  redis_pool: true,
  db_pool: true,
};

const DEGRADED = {
  status: 'not_ready',
  reason: 'Server in degraded mode',
  degraded: { error_code: 'CONFIG_ERROR', reason: 'ARAGORA_REDIS_URL is not reachable', recovery_hint: 'check Redis' },
  checks: { degraded_mode: false },
};

type Answer = readonly [status: number, body: unknown];

function healthz(b: Behaviour): Answer | null {
  if (b === 'healthy') return [200, { status: 'ok' }];
  if (b === 'degraded')
    return [
      200,
      {
        status: 'ok',
        degraded: true,
        degraded_reason: 'ARAGORA_REDIS_URL is not reachable',
        note: 'Server alive but degraded. Check /api/health for details.',
      },
    ];
  return null;
}

function readyz(b: Behaviour): Answer | null {
  const body = (status: string, checks: object): object => ({
    status,
    checks,
    latency_ms: 0.42,
    fast_probe: true,
    full_validation: '/readyz/dependencies',
  });
  if (b === 'healthy') return [200, body('ready', READY_CHECKS)];
  if (b === 'degraded') return [503, DEGRADED];
  if (b === 'not-ready') return [503, body('not_ready', { ...READY_CHECKS, startup_complete: false })];
  if (b === 'no-redis-pool') return [200, body('ready', { ...READY_CHECKS, redis_pool: false })];
  if (b === 'no-database-url') return [200, body('ready', { ...READY_CHECKS, db_pool: 'not_configured' })];
  return null;
}

function dependencies(b: Behaviour): Answer | null {
  const checks = (redis: object): object => ({
    storage: true,
    elo_system: true,
    redis,
    postgresql: { configured: true, required: false },
    api_keys: { configured_count: 1, providers: ['anthropic'] },
  });
  if (b === 'healthy')
    return [
      200,
      { status: 'ready', checks: checks({ connected: true, message: 'Redis connected' }), latency_ms: 12.5 },
    ];
  if (b === 'degraded') return [503, DEGRADED];
  if (b === 'not-ready')
    return [
      503,
      {
        status: 'not_ready',
        checks: checks({ connected: false, message: 'Redis connection failed: timed out' }),
        latency_ms: 2001.3,
      },
    ];
  if (b === 'redis-not-required')
    return [200, { status: 'ready', checks: checks({ configured: true, required: false }), latency_ms: 3.1 }];
  return null;
}

function common(b: Behaviour): { status: number; body: string; type: string } | 'hang' | null {
  if (b === 'hang') return 'hang';
  if (typeof b === 'object') return { status: b.status, body: b.body, type: b.contentType ?? 'application/json' };
  if (b === 'wrong-json') return { status: 200, body: '{"state":"fine","uptime":12}', type: 'application/json' };
  if (b === 'not-json')
    return { status: 200, body: '<!DOCTYPE html><html><body>Aragora</body></html>', type: 'text/html; charset=utf-8' };
  if (b === 'error-500') return { status: 500, body: '{"error":"Internal server error"}', type: 'application/json' };
  if (b === 'leaky-500')
    return {
      status: 500,
      body: JSON.stringify({
        error: `could not connect to postgresql://aragora:${LEAKED_SECRETS[0]}@db.internal:5432/aragora`,
        redis: `rediss://:${LEAKED_SECRETS[1]}@cache.internal:6379`,
        ANTHROPIC_API_KEY: LEAKED_SECRETS[2],
      }),
      type: 'application/json',
    };
  return null;
}

export async function startFakeAragora(opts: FakeAragoraOptions = {}): Promise<FakeAragora> {
  const routes = new Map<Route, Behaviour>(Object.entries(opts.routes ?? {}) as [Route, Behaviour][]);
  let latest = opts.latestDebateId === undefined ? 'debate-1' : opts.latestDebateId;
  const requests: string[] = [];

  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${url.pathname}${url.search}`);
    const route = url.pathname as Route;
    const behaviour = routes.get(route) ?? 'healthy';
    const send = (status: number, body: string, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const special = common(behaviour);
    if (special === 'hang') return;
    if (special !== null) return send(special.status, special.body, special.type);
    let answer: Answer | null = null;
    if (route === '/healthz') answer = healthz(behaviour);
    else if (route === '/readyz') answer = readyz(behaviour);
    else if (route === '/readyz/dependencies') answer = dependencies(behaviour);
    else if (route === '/api/v1/debates') {
      if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`)
        return send(401, '{"error":"Authentication required"}');
      const debates =
        latest === null
          ? []
          : [
              {
                slug: `${latest}-slug`,
                debate_id: latest,
                id: latest,
                task: 'Is the cutover safe?',
                status: 'completed',
              },
            ];
      answer = [200, { debates, count: debates.length }];
    } else return send(404, '{"error":"Not found"}');
    if (answer === null)
      throw new Error(`fake-aragora-http: behaviour ${JSON.stringify(behaviour)} has no meaning for ${route}`);
    send(answer[0], JSON.stringify(answer[1]));
  };

  const server = opts.tls === undefined ? http.createServer(handler) : https.createServer(opts.tls, handler);
  // With TLS, the name the certificate is for, bound where that name resolves first.
  await new Promise<void>((resolve) => server.listen(0, opts.tls === undefined ? '127.0.0.1' : 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: opts.tls === undefined ? `http://127.0.0.1:${port}` : `https://localhost:${port}`,
    requests,
    set: (route, behaviour) => routes.set(route, behaviour),
    setLatestDebate: (id) => {
      latest = id;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging requests hold their sockets open; close() alone would wait for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
