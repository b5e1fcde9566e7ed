import type { CheckItem } from '../../report/check-report.js';
import { before } from './items.js';
import { RedisClientError, RedisConnection } from './redis-client.js';
import type { RedisUrl } from './redis-url.js';
import { RespError, type RespValue } from './resp.js';

/**
 * The shared Redis itself, as the instances' URL reaches it: connected (over
 * TLS for rediss://), AUTH accepted, PING answered PONG, and its
 * maxmemory-policy reported (CONFIG GET, which managed services often
 * disable or rename, else INFO memory).
 */

/** What to connect to, or why there is nothing (then every item is skipped with `why` and `fix`). */
export type RedisProbe =
  | { readonly url: RedisUrl; readonly from: string }
  | { readonly url: null; readonly why: string; readonly fix: string };

export interface RedisCheckOptions {
  readonly timeoutMs: number;
  /** PEM CA trusted besides the system's roots (--ca-file). */
  readonly ca?: string;
}

const T = {
  reachable: 'Redis is reachable',
  auth: 'Redis accepts the AUTH token',
  ping: 'Redis answers PING with PONG',
  policy: "Redis's maxmemory-policy",
} as const;

const text = (v: RespValue): string =>
  v instanceof RespError ? v.message : Array.isArray(v) ? `[${v.map(text).join(', ')}]` : String(v);

function connectFix(err: RedisClientError, url: RedisUrl, timeoutMs: number): string {
  if (err.kind === 'tls')
    return /WRONG_VERSION|packet length|wrong version/i.test(err.message)
      ? `the port does not speak TLS: use the server's TLS port (tls-port) in the URL`
      : "the server's certificate was not accepted: pass --ca-file with the CA that signed it, and use the host name the certificate names";
  if (err.kind === 'timeout')
    return `nothing answered within ${timeoutMs} ms: check that this machine may reach ${url.host}:${url.port} (security group, firewall), or raise --timeout`;
  if (err.kind === 'closed' && !url.tls)
    return 'the server closed the connection: if that port expects TLS, the URL must start with rediss://';
  return `check host and port in the URL (${url.host}:${url.port}), that Redis runs there, and that this machine may reach it`;
}

export async function redisItems(probe: RedisProbe, opts: RedisCheckOptions): Promise<CheckItem[]> {
  if (probe.url === null)
    return [T.reachable, T.auth, T.ping, T.policy].map((title, i) =>
      before(
        ['redis.reachable', 'redis.auth', 'redis.ping', 'redis.maxmemory-policy'][i] as string,
        title,
        'skip',
        probe.why,
        probe.fix,
      ),
    );
  const url = probe.url;
  const subject = url.display;
  const items: CheckItem[] = [];
  const skipRest = (why: string): CheckItem[] => {
    const all: [string, string][] = [
      ['redis.reachable', T.reachable],
      ['redis.auth', T.auth],
      ['redis.ping', T.ping],
      ['redis.maxmemory-policy', T.policy],
    ];
    return all
      .filter(([id]) => !items.some((i) => i.id === id))
      .map(([id, title]) => before(id, title, 'skip', why, 'fix the item above first', subject));
  };
  let conn: RedisConnection;
  try {
    conn = await RedisConnection.connect(
      { host: url.host, port: url.port, tls: url.tls },
      { timeoutMs: opts.timeoutMs, verify: url.verifyCertificate, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) },
    );
  } catch (err: unknown) {
    const e = err instanceof RedisClientError ? err : new RedisClientError('connect', String(err));
    items.push(
      before(
        'redis.reachable',
        T.reachable,
        'fail',
        `${url.host}:${url.port}: ${e.message} (URL from ${probe.from})`,
        connectFix(e, url, opts.timeoutMs),
        subject,
      ),
    );
    return [...items, ...skipRest('Redis was not reached')];
  }
  try {
    const tls = conn.tlsInfo;
    items.push(
      before(
        'redis.reachable',
        T.reachable,
        'pass',
        `${url.host}:${url.port} ${tls === null ? 'over plain TCP' : `over ${tls.protocol ?? 'TLS'}, ${tls.cipher}${url.verifyCertificate ? '' : ' (certificate not verified: ssl_cert_reqs in the URL)'}`} (URL from ${probe.from})`,
        null,
        subject,
      ),
    );
    if (!(await authItem(conn, url, subject, items))) return [...items, ...skipRest('not authenticated')];
    const pong = await conn.command(['PING']);
    items.push(
      pong === 'PONG'
        ? before('redis.ping', T.ping, 'pass', 'PONG', null, subject)
        : before(
            'redis.ping',
            T.ping,
            'fail',
            `PING answered ${text(pong)}`,
            'see the answer; is this a Redis server?',
            subject,
          ),
    );
    items.push(await policyItem(conn, subject));
    return items;
  } catch (err: unknown) {
    const e = err instanceof RedisClientError ? err : new RedisClientError('protocol', String(err));
    const next =
      ['redis.auth', 'redis.ping', 'redis.maxmemory-policy'].find((id) => !items.some((i) => i.id === id))
      ?? 'redis.ping';
    const title = next === 'redis.auth' ? T.auth : next === 'redis.ping' ? T.ping : T.policy;
    items.push(before(next, title, 'fail', e.message, connectFix(e, url, opts.timeoutMs), subject));
    return [...items, ...skipRest('the connection ended (see above)')];
  } finally {
    conn.close();
  }
}

/** Pushes the auth item; true when commands may follow. */
async function authItem(conn: RedisConnection, url: RedisUrl, subject: string, items: CheckItem[]): Promise<boolean> {
  const put = (status: CheckItem['status'], detail: string, fix: string | null = null): void => {
    items.push(before('redis.auth', T.auth, status, detail, fix, subject));
  };
  if (url.password === null) {
    const reply = await conn.command(['PING']);
    if (reply instanceof RespError && /NOAUTH/i.test(reply.message)) {
      put(
        'fail',
        'the server requires a password and the URL has none',
        'put the token in the URL: rediss://:<token>@host:port',
      );
      return false;
    }
    put(
      'fail',
      'the URL has no token and the server accepts commands without one: anyone who reaches it can read and write',
      "set a password at the server (requirepass, an ACL user, or the managed service's AUTH token) and put it in the URL: rediss://:<token>@host:port",
    );
    return true;
  }
  const reply = await conn.command(
    url.username === null ? ['AUTH', url.password] : ['AUTH', url.username, url.password],
  );
  if (reply === 'OK') {
    put(
      'pass',
      url.username === null ? 'the token was accepted' : `the password of ACL user ${url.username} was accepted`,
    );
    return true;
  }
  const message = text(reply);
  if (/without any password configured|no password is set/i.test(message)) {
    put(
      'warn',
      "the server has no password set, so the URL's token is not needed: anyone who reaches the server can use it",
      'set requirepass (or an ACL user) at the server to the token in the URL',
    );
    return true;
  }
  put(
    'fail',
    `the server refused the token: ${message}`,
    "the token in the URL is not the server's: copy the current one (requirepass, the ACL user's password, or the managed service's AUTH token) into ARAGORA_REDIS_URL",
  );
  return false;
}

async function policyItem(conn: RedisConnection, subject: string): Promise<CheckItem> {
  const config = await conn.command(['CONFIG', 'GET', 'maxmemory-policy']);
  if (Array.isArray(config) && typeof config[1] === 'string')
    return before('redis.maxmemory-policy', T.policy, 'pass', `maxmemory-policy is ${config[1]}`, null, subject);
  const refused = text(config);
  const info = await conn.command(['INFO', 'memory']);
  const policy = typeof info === 'string' ? /^maxmemory_policy:(.*)$/m.exec(info)?.[1]?.trim() : undefined;
  if (policy !== undefined && policy !== '')
    return before(
      'redis.maxmemory-policy',
      T.policy,
      'pass',
      `maxmemory-policy is ${policy} (from INFO memory: CONFIG GET is not allowed here: ${refused === '[]' ? 'no answer' : refused})`,
      null,
      subject,
    );
  return before(
    'redis.maxmemory-policy',
    T.policy,
    'warn',
    `could not be read: CONFIG GET answered ${refused}, INFO memory ${info instanceof RespError ? info.message : 'has no maxmemory_policy'}`,
    "look it up in the Redis provider's settings (its parameter group)",
    subject,
  );
}
