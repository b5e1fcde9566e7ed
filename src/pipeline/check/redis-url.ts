/**
 * A Redis URL as Aragora's Redis client (redis-py) reads it:
 * `redis[s]://[[user]:password@]host[:port][/db]`, the token usually given as
 * `rediss://:<token>@host:6379`. The password stays in the parsed value for
 * AUTH and nowhere else: what is shown, and what instances are compared by,
 * leaves it out.
 */
export interface RedisUrl {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  /** The ACL user; null for the default user (a bare token, as `AUTH <token>` sends it). */
  readonly username: string | null;
  /** The secret AUTH sends; null when the URL has none. Never printed. */
  readonly password: string | null;
  readonly db: number;
  /** `ssl_cert_reqs=none` (or `optional`) in the query: redis-py then does not verify the certificate, and neither does check. */
  readonly verifyCertificate: boolean;
  /** The URL with the password as `***`. */
  readonly display: string;
  /** What two instances must agree on, without the secret: scheme, user, host, port and database. */
  readonly target: string;
}

/** The URL is not one a Redis client reads; the message never holds the URL itself. */
export class RedisUrlError extends Error {}

/** The URL with its password (and any `password=` parameter) replaced by `***`. */
export function maskRedisUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString();
  } catch {
    return raw.replace(/(:\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/password=[^&\s]*/gi, 'password=***');
  }
}

export function parseRedisUrl(raw: string): RedisUrl {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new RedisUrlError('is not a URL (expected rediss://:<token>@host:6379)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new RedisUrlError(`starts with ${url.protocol}// (expected rediss://)`);
  if (url.hostname === '') throw new RedisUrlError('names no host');
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '') || url.searchParams.get('db') || '0';
  if (!/^\d+$/.test(dbText)) throw new RedisUrlError('names a database that is not a number (the path is /<db>)');
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const user = decode(url.username);
  const password = url.password !== '' ? decode(url.password) : url.searchParams.get('password');
  const username = user === '' || user === 'default' ? null : user;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const db = Number(dbText);
  const certReqs = (url.searchParams.get('ssl_cert_reqs') ?? '').toLowerCase();
  const tls = url.protocol === 'rediss:';
  return {
    tls,
    host,
    port,
    username,
    password: password === '' ? null : password,
    db,
    verifyCertificate: !['none', 'optional', 'cert_none', 'cert_optional'].includes(certReqs),
    display: maskRedisUrl(raw.trim()),
    target: `${tls ? 'rediss' : 'redis'}://${username === null ? '' : `${username}@`}${url.hostname.toLowerCase()}:${port}/${db}`,
  };
}
