import type pg from 'pg';
import type { TargetDsn } from '../../config/dsn.js';
import type { CheckItem } from '../../report/check-report.js';
import { connectTarget } from '../../target/connect.js';
import { quoteIdent } from '../../util/quote.js';
import { before } from './items.js';
import { OWNER_TITLE, ownerItem } from './pg-owner.js';
import { poolItem, type PoolDemand, type ServerConnections } from './pool-math.js';

/**
 * The shared PostgreSQL itself, over one connection made as the instances'
 * DSN makes it: reachable, encrypted (pg_stat_ssl of this very backend),
 * the role able to create the application's tables and owning those that
 * exist (src/pipeline/check/pg-owner.ts), and the pools' sum
 * against the connections left. Nothing is written: the table that proves
 * CREATE is made inside a transaction that is rolled back.
 */

/** What to connect to, or why there is nothing (then every item is skipped with `why` and `fix`). */
export type PgProbe =
  | { readonly dsn: TargetDsn; readonly from: string }
  | { readonly dsn: null; readonly why: string; readonly fix: string };

/** The pool demand, or why the pool arithmetic cannot be done. */
export type PoolInput = { readonly demand: PoolDemand } | { readonly why: string; readonly fix: string };

const T = {
  reachable: 'PostgreSQL is reachable',
  tls: 'The PostgreSQL connection negotiates TLS',
  create: 'The role can create the tables',
  owner: OWNER_TITLE,
  pool: "Every instance's pool fits the server's connections",
} as const;

function skipAll(why: string, fix: string, subject: string | null): CheckItem[] {
  return [
    before('pg.reachable', T.reachable, 'skip', why, fix, subject),
    before('pg.tls', T.tls, 'skip', why, fix, subject),
    before('pg.create', T.create, 'skip', why, fix, subject),
    before('pg.owner', T.owner, 'skip', why, fix, subject),
    before('pg.pool', T.pool, 'skip', why, fix, subject),
  ];
}

export async function postgresItems(probe: PgProbe, pool: PoolInput): Promise<CheckItem[]> {
  if (probe.dsn === null) return skipAll(probe.why, probe.fix, null);
  const subject = probe.dsn.display;
  let client: pg.Client;
  try {
    client = await connectTarget(probe.dsn, 'aragora-migrate check');
  } catch (err: unknown) {
    // connectTarget's message shows the DSN masked (src/target/connect.ts).
    const message = err instanceof Error ? err.message : String(err);
    const noTls = /does not support SSL/i.test(message);
    const items = skipAll('PostgreSQL was not reached (see above)', 'make PostgreSQL reachable first', subject);
    items[0] = before(
      'pg.reachable',
      T.reachable,
      'fail',
      `${message} (DSN from ${probe.from})`,
      noTls
        ? 'turn TLS on at the server (ssl = on, with ssl_cert_file and ssl_key_file; managed servers have it on), since the DSN requires it'
        : 'check host, port, user, password and sslmode in the DSN, that the server runs, and that this machine may reach it (security group, pg_hba.conf)',
      subject,
    );
    if (noTls)
      items[1] = before(
        'pg.tls',
        T.tls,
        'fail',
        'the server offers no TLS',
        'turn TLS on at the server (ssl = on, with a certificate)',
        subject,
      );
    return items;
  }
  const dsn = probe.dsn;
  // A query the server refuses fails its own item, not the whole check.
  const guard = async (id: string, title: string, fn: () => Promise<CheckItem>): Promise<CheckItem> => {
    try {
      return await fn();
    } catch (err: unknown) {
      const message = err instanceof Error ? err.message : String(err);
      return before(id, title, 'fail', `the query failed: ${message}`, 'see the message; run check again', subject);
    }
  };
  try {
    return [
      await guard('pg.reachable', T.reachable, async () => {
        const v = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
        return before(
          'pg.reachable',
          T.reachable,
          'pass',
          `PostgreSQL ${v ?? '?'} (DSN from ${probe.from})`,
          null,
          subject,
        );
      }),
      await guard('pg.tls', T.tls, () => tlsItem(client, dsn, subject)),
      await guard('pg.create', T.create, () => createItem(client, subject)),
      await guard('pg.owner', T.owner, () => ownerItem(client, subject)),
      await guard('pg.pool', T.pool, async () =>
        'demand' in pool
          ? { ...poolItem(pool.demand, await serverConnections(client)), subject }
          : before('pg.pool', T.pool, 'skip', pool.why, pool.fix, subject),
      ),
    ];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function tlsItem(client: pg.Client, dsn: TargetDsn, subject: string): Promise<CheckItem> {
  const r = await client.query<{ ssl: boolean | null; version: string | null; cipher: string | null }>(
    'SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
  );
  const row = r.rows[0];
  if (row?.ssl === true) {
    const unverified =
      dsn.sslMode === 'require' ? "; the server's certificate is not checked (verify-full would check it)" : '';
    return before('pg.tls', T.tls, 'pass', `${row.version ?? 'TLS'}, ${row.cipher ?? '?'}${unverified}`, null, subject);
  }
  const fix =
    dsn.sslMode === 'prefer' || dsn.sslMode === 'allow'
      ? `the server did not offer TLS, so sslmode=${dsn.sslMode} fell back to plain text: turn TLS on at the server (ssl = on, with a certificate), and set sslmode=require`
      : `set sslmode=require (or verify-full) in the DSN; it says ${dsn.sslMode}`;
  return before(
    'pg.tls',
    T.tls,
    'fail',
    `the connection is not encrypted (pg_stat_ssl.ssl is false; sslmode=${dsn.sslMode})`,
    fix,
    subject,
  );
}

async function createItem(client: pg.Client, subject: string): Promise<CheckItem> {
  const who = (
    await client.query<{ schema: string | null; role: string }>(
      'SELECT current_schema() AS schema, current_user AS role',
    )
  ).rows[0];
  const role = who?.role ?? '?';
  const schema = who?.schema ?? null;
  if (schema === null)
    return before(
      'pg.create',
      T.create,
      'fail',
      `no schema on role ${role}'s search_path exists`,
      `CREATE SCHEMA public (or ALTER ROLE ${quoteIdent(role)} SET search_path to a schema that exists)`,
      subject,
    );
  const probe = `aragora_migrate_check_${process.pid}_${Date.now()}`;
  try {
    await client.query('BEGIN');
    await client.query(`CREATE TABLE ${quoteIdent(schema)}.${quoteIdent(probe)} (id integer PRIMARY KEY)`);
    return before(
      'pg.create',
      T.create,
      'pass',
      `role ${role} created a table in schema ${schema} (rolled back)`,
      null,
      subject,
    );
  } catch (err: unknown) {
    const e = err as { code?: string; message?: string };
    const fix =
      e.code === '25006'
        ? 'this server is read-only (a replica, or default_transaction_read_only): point the DSN at the primary'
        : `as an owner of the database: GRANT CREATE ON SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(role)} (PostgreSQL 15 and later no longer let every role create in public)`;
    return before(
      'pg.create',
      T.create,
      'fail',
      `role ${role} cannot create a table in schema ${schema}: ${e.message ?? String(err)}`,
      fix,
      subject,
    );
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

async function serverConnections(client: pg.Client): Promise<ServerConnections> {
  const r = await client.query<{
    max_connections: number;
    superuser_reserved: number;
    reserved: number;
    open: number;
    role_name: string;
    role_limit: number | null;
    role_open: number;
    db_name: string;
    db_limit: number | null;
    db_open: number;
  }>(`
    SELECT current_setting('max_connections')::int AS max_connections,
           current_setting('superuser_reserved_connections')::int AS superuser_reserved,
           coalesce(current_setting('reserved_connections', true), '0')::int AS reserved,
           (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS open,
           current_user AS role_name,
           (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user) AS role_limit,
           (SELECT count(*) FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND usename = current_user)::int AS role_open,
           current_database() AS db_name,
           (SELECT datconnlimit FROM pg_database WHERE datname = current_database()) AS db_limit,
           (SELECT count(*) FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND datname = current_database())::int AS db_open`);
  const row = r.rows[0];
  if (row === undefined) throw new Error('the connection counts query returned no row');
  return {
    maxConnections: row.max_connections,
    superuserReserved: row.superuser_reserved,
    reserved: row.reserved,
    open: row.open,
    role: { name: row.role_name, limit: row.role_limit ?? -1, open: row.role_open },
    database: { name: row.db_name, limit: row.db_limit ?? -1, open: row.db_open },
  };
}
