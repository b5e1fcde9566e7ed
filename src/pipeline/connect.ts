import pg from 'pg';
import type { TargetDsn } from '../config/dsn.js';
import { TargetError } from '../errors.js';

/**
 * Connects the way libpq would for the DSN's sslmode. `prefer` (libpq's
 * default) tries TLS first and falls back to plain only when the server says
 * it has no TLS; `allow` does the reverse.
 */
export async function connectTarget(dsn: TargetDsn, applicationName = 'aragora-migrate'): Promise<pg.Client> {
  const attempt = async (ssl: TargetDsn['ssl']): Promise<pg.Client> => {
    const client = new pg.Client({
      connectionString: dsn.connectionString,
      ssl,
      application_name: applicationName,
      connectionTimeoutMillis: 15000,
    });
    try {
      await client.connect();
    } catch (err: unknown) {
      await client.end().catch(() => undefined);
      throw err;
    }
    // A stray error on an idle client would otherwise crash the process.
    client.on('error', () => undefined);
    return client;
  };
  try {
    if (dsn.sslMode === 'allow') {
      try {
        return await attempt(false);
      } catch {
        return await attempt({ rejectUnauthorized: false });
      }
    }
    if (dsn.sslMode === 'prefer') {
      try {
        return await attempt(dsn.ssl);
      } catch (err: unknown) {
        if (!/does not support SSL/i.test(err instanceof Error ? err.message : '')) throw err;
        return await attempt(false);
      }
    }
    return await attempt(dsn.ssl);
  } catch (err: unknown) {
    const message = (err instanceof Error ? err.message : String(err)).replaceAll(dsn.connectionString, dsn.display);
    throw new TargetError('TARGET_UNREACHABLE', `cannot connect to ${dsn.display}: ${message}`, { cause: err });
  }
}
