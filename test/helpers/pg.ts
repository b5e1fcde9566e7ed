import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject } from 'vitest';

// The contract between test/helpers/global-setup.ts (which provides) and this
// file (which injects). Declared here so every test file that imports the
// helpers sees the typed key.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser-ish URL of the server chosen by global-setup; never a test's own database. */
    pgAdminUrl: string;
  }
}

export interface TestDatabase {
  /** Connection URL of the new database (same server/credentials as the admin URL). */
  readonly url: string;
  /** Database name, `am_<prefix>_<random>`. */
  readonly name: string;
  /** Terminates remaining backends, then drops the database. Idempotent. */
  drop(): Promise<void>;
}

// PostgreSQL truncates identifiers at 63 bytes; keep well under it so the
// random suffix always survives.
const MAX_PREFIX_LENGTH = 40;

/** Replaces the password of a connection URL (or `password=` in a key/value DSN) by `***`. */
export function maskDsn(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') {
      parsed.password = '***';
    }
    return parsed.toString();
  } catch {
    // Not a URL: fall back to patterns so nothing secret is ever logged.
    return url.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/, '$1***@').replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***');
  }
}

function adminUrl(): string {
  const url = inject('pgAdminUrl');
  if (typeof url !== 'string' || url === '') {
    throw new Error(
      "inject('pgAdminUrl') is empty: run this file through the vitest 'integration' project, whose globalSetup provides it",
    );
  }
  return url;
}

function sanitizePrefix(prefix: string): string {
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_PREFIX_LENGTH);
  return cleaned === '' ? 'test' : cleaned;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, empty database `am_<prefix>_<random>` on the harness server.
 * Callers own the result and must `drop()` it (useTestDatabase does this for you).
 */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = `am_${sanitizePrefix(prefix)}_${randomBytes(5).toString('hex')}`;
  const admin = adminUrl();
  await withAdminClient((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));

  let dropped = false;
  return {
    url: withDatabase(admin, name),
    name,
    async drop(): Promise<void> {
      if (dropped) return;
      await withAdminClient(async (client) => {
        // A test that forgot to close a pool would otherwise make DROP fail
        // with "database is being accessed by other users".
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)}`);
      });
      dropped = true;
    },
  };
}

/**
 * Gives the calling test file its own database: created in beforeAll, dropped
 * in afterAll. Call at module (or describe) level; read `.url` inside tests/hooks.
 * The default prefix is the test file's base name so leftovers are traceable.
 */
export function useTestDatabase(prefix?: string): { readonly url: string } {
  const effectivePrefix = prefix ?? defaultPrefix();
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    db = await createTestDatabase(effectivePrefix);
  });

  afterAll(async () => {
    // Only drop what beforeAll actually created; if it failed, its error is the one to report.
    await db?.drop();
    db = undefined;
  });

  return {
    get url(): string {
      if (db === undefined) {
        throw new Error('useTestDatabase().url is only available inside tests and hooks that run after its beforeAll');
      }
      return db.url;
    },
  };
}

function defaultPrefix(): string {
  const testPath = expect.getState().testPath;
  return testPath ? basename(testPath).replace(/\.test\.[cm]?[jt]s$/, '') : 'test';
}
