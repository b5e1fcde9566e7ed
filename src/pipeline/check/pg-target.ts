import { isKeyValueDsn, keyValueToUrl, parseKeyValueDsn } from '../../config/dsn-keyvalue.js';

/**
 * A PostgreSQL DSN reduced to what instances must agree on, read without
 * opening any file it names (an sslrootcert on the instance need not exist
 * where check runs). URL and key=value forms alike (src/config/dsn-keyvalue.ts).
 */
export interface PgTarget {
  /** `user@host:port/database`, lower-case host, libpq's defaults filled in: no secret. */
  readonly target: string;
  /** sslmode as written, lower case; `prefer` (libpq's default) when absent. */
  readonly sslMode: string;
  /** The password, for comparing and for scrubbing output; never shown. */
  readonly password: string | null;
}

/** The DSN does not parse; the message never quotes it. */
export class PgTargetError extends Error {}

export function pgTarget(raw: string): PgTarget {
  let url: URL;
  try {
    url = new URL(isKeyValueDsn(raw) ? keyValueToUrl(parseKeyValueDsn(raw)) : raw.trim());
  } catch (err: unknown) {
    // parseKeyValueDsn's own messages never quote the DSN either.
    throw new PgTargetError(err instanceof Error && isKeyValueDsn(raw) ? err.message : 'is not a PostgreSQL URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new PgTargetError(`starts with ${url.protocol}// (expected postgresql://)`);
  const p = url.searchParams;
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const user = decode(url.username) || p.get('user') || '';
  const host = (url.hostname || p.get('host') || 'localhost').toLowerCase();
  const port = url.port || p.get('port') || '5432';
  // libpq: the database defaults to the user name.
  const db = decode(url.pathname.replace(/^\//, '')) || p.get('dbname') || user;
  const password = url.password !== '' ? decode(url.password) : p.get('password');
  return {
    target: `${user === '' ? '' : `${user}@`}${host}:${port}/${db}`,
    sslMode: (p.get('sslmode') ?? 'prefer').toLowerCase(),
    password: password === null || password === '' ? null : password,
  };
}
