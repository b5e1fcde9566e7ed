import pg from 'pg';
import type { TargetDsn } from '../config/dsn.js';
import { TargetError } from '../errors.js';

/**
 * Connects the way libpq would for the DSN's sslmode. `prefer` (libpq's
 * default) tries TLS first and falls back to plain only when the server says
 * it has no TLS; `allow` does the reverse.
 */
const CONNECT_TIMEOUT_MS = 15000;

/** Idle time before the first TCP keepalive probe of a session; the kernel spaces and counts the rest. */
const KEEPALIVE_IDLE_MS = 60_000;

/** What a failed connection means, in words, before the driver's own text. */
function explain(err: unknown, dsn: TargetDsn, ms: number): string {
  const e = err as NodeJS.ErrnoException;
  const raw = (err instanceof Error ? err.message : String(err)).replaceAll(dsn.connectionString, dsn.display);
  let where = dsn.display;
  try {
    const u = new URL(dsn.connectionString);
    where = `${u.hostname}:${u.port === '' ? '5432' : u.port}`;
  } catch {
    // a key/value DSN: the masked display says where
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return `nothing accepts connections at ${where} (${raw})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name of ${where} does not resolve (${raw})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} cannot be reached from this machine (${raw})`;
  }
  // A host that never answers ends in the driver's timeout, which it reports as an SSL or timeout error.
  if (ms >= CONNECT_TIMEOUT_MS - 500)
    return `no answer from ${where} within ${CONNECT_TIMEOUT_MS / 1000} s: is the host reachable from here and the port open? (${raw})`;
  if (/error establishing an SSL connection|Connection terminated unexpectedly/i.test(raw)) {
    return `something at ${where} took the connection but did not answer as PostgreSQL does: is the host reachable from here (a proxy or firewall may answer for it), and is PostgreSQL listening on that port? (${raw})`;
  }
  return raw;
}

/**
 * The tool's sessions run without the server's statement and idle timeouts,
 * as pg_dump's and pg_restore's do: a database or role default meant for the
 * application (RDS parameter groups often set statement_timeout) would
 * otherwise cancel an index build or a verify query part way, after hours
 * of load. The load stops only on the operator's signal or an error. Set
 * after connecting rather than in the startup packet, which poolers such as
 * PgBouncer refuse.
 */
async function withoutServerTimeouts(client: pg.Client): Promise<void> {
  // Alone, and again when cancelled: a default shorter than the SET itself
  // (tests set 2 ms) cancels it on a loaded machine, and in one message with
  // the second SET the timer armed before it fired all the same ("canceling
  // statement due to user request"), and the connection failed.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('SET statement_timeout = 0');
      break;
    } catch (err: unknown) {
      if ((err as { code?: unknown }).code !== '57014' || attempt >= 5) throw err;
    }
  }
  await client.query('SET idle_in_transaction_session_timeout = 0');
}

export async function connectTarget(dsn: TargetDsn, applicationName = 'aragora-migrate'): Promise<pg.Client> {
  const started = Date.now();
  const attempt = async (ssl: TargetDsn['ssl']): Promise<pg.Client> => {
    const client = new pg.Client({
      connectionString: dsn.connectionString,
      ssl,
      application_name: applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // A server that vanishes without a word (a failed-over or stopped RDS host) leaves a
      // session waiting on a statement for ever: TCP keepalive probes it after a minute of
      // silence, and the lost connection ends the run as TARGET_CONNECTION_LOST, to resume.
      // A long statement the server is still running answers the probes and goes on.
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    });
    try {
      await client.connect();
    } catch (err: unknown) {
      await client.end().catch(() => undefined);
      throw err;
    }
    // A stray error on an idle client would otherwise crash the process.
    client.on('error', () => undefined);
    try {
      await withoutServerTimeouts(client);
    } catch (err: unknown) {
      await client.end().catch(() => undefined);
      throw err;
    }
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
    throw new TargetError(
      'TARGET_UNREACHABLE',
      `cannot connect to ${dsn.display}: ${explain(err, dsn, Date.now() - started)}`,
      { cause: err },
    );
  }
}

/** SQLSTATE classes and driver messages of a connection the server or the network ended. */
const LOST_SQLSTATE = /^(57P0[123]|08\w{3})$/;
const LOST_MESSAGE =
  /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|terminating connection|server closed the connection/i;
const LOST_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED']);

/**
 * A connection lost mid-run (the server restarted or failed over, a backend
 * was terminated, the network dropped) as the coded error it is: nothing
 * committed is lost, and the same command resumes. Null for other errors.
 */
export function connectionLost(err: unknown): TargetError | null {
  if (err instanceof TargetError) return err.code === 'TARGET_CONNECTION_LOST' ? err : null;
  const e = err as { code?: string; message?: string };
  const lost =
    (e.code !== undefined && (LOST_SQLSTATE.test(e.code) || LOST_ERRNO.has(e.code)))
    || LOST_MESSAGE.test(e.message ?? '');
  if (!lost) return null;
  return new TargetError(
    'TARGET_CONNECTION_LOST',
    `the connection to the target was lost: ${e.message ?? String(err)}`,
    { cause: err },
  );
}
