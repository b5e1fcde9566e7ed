// Proves the integration harness itself: if these fail, every other
// integration failure is suspect.
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase, maskDsn, useTestDatabase } from '../helpers/pg.js';

const db = useTestDatabase('harness');

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

const userTablesSql = `SELECT count(*)::int AS n FROM information_schema.tables
  WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`;

describe('integration harness', () => {
  it('gives each file its own, initially empty database', async () => {
    const name = databaseName(db.url);
    expect(name).toMatch(/^am_harness_[0-9a-f]+$/);
    expect(name).not.toBe(databaseName(inject('pgAdminUrl')));

    await withClient(db.url, async (client) => {
      const current = await client.query<{ db: string }>('SELECT current_database() AS db');
      expect(current.rows[0]?.db).toBe(name);

      const before = await client.query<{ n: number }>(userTablesSql);
      expect(before.rows[0]?.n).toBe(0);

      await client.query('CREATE TABLE harness_probe (id int PRIMARY KEY, note text NOT NULL)');
      await client.query("INSERT INTO harness_probe VALUES (1, 'héllo')");
      const back = await client.query<{ note: string }>('SELECT note FROM harness_probe WHERE id = 1');
      expect(back.rows[0]?.note).toBe('héllo');
    });

    // Another database on the same server must not see this file's table.
    const other = await createTestDatabase('harness_other');
    try {
      expect(other.name).not.toBe(name);
      await withClient(other.url, async (client) => {
        const current = await client.query<{ db: string }>('SELECT current_database() AS db');
        expect(current.rows[0]?.db).toBe(other.name);
        const tables = await client.query<{ n: number }>(userTablesSql);
        expect(tables.rows[0]?.n).toBe(0);
      });
    } finally {
      await other.drop();
    }

    await withClient(inject('pgAdminUrl'), async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [other.name]);
      expect(exists.rowCount).toBe(0);
    });
  });

  it('runs against PostgreSQL 15 or newer', async () => {
    const version = await withClient(db.url, async (client) => {
      const res = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      return Number(res.rows[0]?.v);
    });
    expect(version, `server at ${maskDsn(db.url)}`).toBeGreaterThanOrEqual(150_000);
  });
});
