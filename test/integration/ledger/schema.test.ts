import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MigrateError } from '../../../src/errors.js';
import { LEDGER_MIGRATIONS } from '../../../src/ledger/migrations/index.js';
import {
  ensureLedger,
  LEDGER_SCHEMA,
  LEDGER_VERSION,
  ledgerExists,
  migrateLedger,
} from '../../../src/ledger/schema.js';
import { tableShape, type TableShape } from '../../helpers/catalog.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

/**
 * The ledger's schema as numbered migrations (src/ledger/migrations/): an empty
 * database gets the newest ledger, one an older release left is brought up to
 * date, an up-to-date one is left alone, and processes ensuring it at once
 * take turns. Each test gets a database of its own, since each needs the
 * ledger absent or at a version of its choosing.
 */

/** Every table of the newest ledger, and the version that added it. */
const TABLES_BY_VERSION: Record<string, number> = {
  meta: 1,
  runs: 1,
  run_files: 1,
  run_tables: 1,
  batches: 1,
  rejects: 1,
  repairs: 1,
  conflicts: 1,
  verifications: 1,
  id_map: 1,
  rollbacks: 2,
  created_tables: 2,
  archives: 2,
  schema_changes: 4,
};
/** Columns later versions added to tables that existed before. */
const COLUMNS_BY_VERSION: readonly { table: string; column: string; version: number }[] = [
  { table: 'batches', column: 'xid', version: 2 },
  { table: 'conflicts', column: 'xid', version: 2 },
  { table: 'conflicts', column: 'target_key', version: 2 },
  { table: 'run_files', column: 'identity', version: 3 },
  { table: 'runs', column: 'error', version: 4 },
  { table: 'batches', column: 'row_digest', version: 5 },
  { table: 'batches', column: 'digest_plan', version: 5 },
];

const databases: TestDatabase[] = [];
const clients: pg.Client[] = [];
let url = '';

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  clients.push(c);
  return c;
}

beforeEach(async () => {
  const db = await createTestDatabase('ledger_schema');
  databases.push(db);
  url = db.url;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
});

afterAll(async () => {
  for (const db of databases) await db.drop();
});

async function storedVersion(c: pg.Client): Promise<string | undefined> {
  const res = await c.query<{ value: string }>("SELECT value FROM aragora_migrate.meta WHERE key = 'version'");
  return res.rows[0]?.value;
}

async function ledgerTables(c: pg.Client): Promise<string[]> {
  const res = await c.query<{ t: string }>(
    'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
    [LEDGER_SCHEMA],
  );
  return res.rows.map((r) => r.t);
}

async function ledgerShape(c: pg.Client): Promise<Record<string, TableShape | null>> {
  const out: Record<string, TableShape | null> = {};
  for (const t of await ledgerTables(c)) out[t] = await tableShape(c, LEDGER_SCHEMA, t);
  return out;
}

/** The shape of a ledger built on an empty database, to compare upgraded ones with. */
async function freshShape(): Promise<Record<string, TableShape | null>> {
  const db = await createTestDatabase('ledger_schema_fresh');
  databases.push(db);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await ensureLedger(c);
    return await ledgerShape(c);
  } finally {
    await c.end();
  }
}

describe('the migrations', () => {
  it('are numbered 1, 2, 3, … with no gap, each with a description, and the newest is the ledger version', () => {
    expect(LEDGER_MIGRATIONS.map((m) => m.version)).toEqual(LEDGER_MIGRATIONS.map((_, i) => i + 1));
    for (const m of LEDGER_MIGRATIONS) expect(m.description.trim(), `migration ${m.version}`).not.toBe('');
    expect(LEDGER_VERSION).toBe(LEDGER_MIGRATIONS.length);
    expect(LEDGER_VERSION).toBe(5);
  });
});

describe('ensureLedger on an empty database', () => {
  it('creates the newest ledger: every table, every column, the version recorded', async () => {
    const c = await connect();
    expect(await ledgerExists(c)).toBe(false);
    await ensureLedger(c);
    expect(await ledgerExists(c)).toBe(true);
    expect(await storedVersion(c)).toBe(String(LEDGER_VERSION));
    expect(await ledgerTables(c)).toEqual(Object.keys(TABLES_BY_VERSION).sort());
    for (const { table, column } of COLUMNS_BY_VERSION) {
      const shape = await tableShape(c, LEDGER_SCHEMA, table);
      expect(shape?.columns.has(column), `${table}.${column}`).toBe(true);
    }
  });

  it('creates a ledger the rest of the tool can write to: a run, a batch, a conflict, a schema change', async () => {
    const c = await connect();
    await ensureLedger(c);
    await c.query(
      "INSERT INTO aragora_migrate.runs (run_id, instance, host, data_dir, target_schema, state, tool_version, error) VALUES ('r1', 'a', 'h', '/d', 'public', 'failed', '0', 'boom')",
    );
    await c.query(
      "INSERT INTO aragora_migrate.run_files (run_id, path, size_bytes, sha256, identity) VALUES ('r1', 'a.db', 1, 'x', 'dev:ino')",
    );
    await c.query(
      "INSERT INTO aragora_migrate.batches (run_id, source_file, source_table, batch_no, first_rowid, last_rowid, rows_read, rows_loaded, rows_rejected, rows_merged, digest) VALUES ('r1', 'a.db', 't', 1, 1, 2, 2, 2, 0, 0, 'd')",
    );
    await c.query(
      "INSERT INTO aragora_migrate.conflicts (run_id, source_file, source_table, source_rowid, target_table, row_key, policy, outcome, target_key) VALUES ('r1', 'a.db', 't', 1, 't', 'k', 'keep-both', 'kept-both', 'k~a')",
    );
    await c.query(
      "INSERT INTO aragora_migrate.schema_changes (run_id, target_table, kind, object) VALUES ('r1', 't', 'add_column', 'c')",
    );
    const batch = await c.query<{ keys: string[]; xid: string | null }>(
      'SELECT loaded_keys AS keys, xid::text AS xid FROM aragora_migrate.batches',
    );
    expect(batch.rows).toEqual([{ keys: [], xid: expect.stringMatching(/^\d+$/) as unknown }]);
  });
});

describe('ensureLedger on a ledger an older release left', () => {
  for (const from of LEDGER_MIGRATIONS.map((m) => m.version).filter((v) => v < LEDGER_VERSION)) {
    it(`brings a v${from} ledger up to v${LEDGER_VERSION}, keeping its rows, with the same shape as a new one`, async () => {
      const c = await connect();
      await migrateLedger(c, from);
      expect(await storedVersion(c)).toBe(String(from));
      // What v`from` lacks is really absent, so the upgrade has something to do.
      expect(await ledgerTables(c)).toEqual(
        Object.keys(TABLES_BY_VERSION)
          .filter((t) => (TABLES_BY_VERSION[t] as number) <= from)
          .sort(),
      );
      for (const { table, column, version } of COLUMNS_BY_VERSION) {
        const shape = await tableShape(c, LEDGER_SCHEMA, table);
        expect(shape?.columns.has(column), `${table}.${column} at v${from}`).toBe(version <= from);
      }
      await c.query(
        "INSERT INTO aragora_migrate.runs (run_id, instance, host, data_dir, target_schema, state, tool_version) VALUES ('old-run', 'a', 'h', '/d', 'public', 'verified', '0')",
      );

      await ensureLedger(c);

      expect(await storedVersion(c)).toBe(String(LEDGER_VERSION));
      expect(await ledgerShape(c)).toEqual(await freshShape());
      const runs = await c.query<{ run_id: string; state: string }>('SELECT run_id, state FROM aragora_migrate.runs');
      expect(runs.rows).toEqual([{ run_id: 'old-run', state: 'verified' }]);
    });
  }

  it('brings a ledger up to date that holds objects of later versions already (a v1 script grew before versions were bumped)', async () => {
    const c = await connect();
    await migrateLedger(c, LEDGER_VERSION);
    await c.query('ALTER TABLE aragora_migrate.run_files DROP COLUMN identity');
    await c.query("UPDATE aragora_migrate.meta SET value = '1' WHERE key = 'version'");
    await ensureLedger(c);
    expect(await storedVersion(c)).toBe(String(LEDGER_VERSION));
    expect(await ledgerShape(c)).toEqual(await freshShape());
  });

  it('stops at the last step fully applied when a step fails: each step commits with its version', async () => {
    const c = await connect();
    await migrateLedger(c, 1);
    // Step 3 alters run_files: without it, step 3 fails after step 2 committed.
    await c.query('DROP TABLE aragora_migrate.run_files');
    await expect(ensureLedger(c)).rejects.toThrow(/run_files/);
    expect(await storedVersion(c)).toBe('2');
    const tables = await ledgerTables(c);
    expect(tables).toContain('rollbacks');
    expect(tables).not.toContain('schema_changes');
  });
});

describe('ensureLedger on an up-to-date ledger', () => {
  it('is a no-op: no DDL, so it does not wait behind a transaction writing a batch', async () => {
    const c = await connect();
    await ensureLedger(c);
    const before = await ledgerShape(c);
    // A migrate's batch holds a lock on the ledger tables until it commits;
    // any ALTER TABLE on them would wait for it (and time out here).
    const writer = await connect();
    await writer.query('BEGIN');
    await writer.query(
      "INSERT INTO aragora_migrate.runs (run_id, instance, host, data_dir, target_schema, state, tool_version) VALUES ('busy', 'a', 'h', '/d', 'public', 'running', '0')",
    );
    for (const t of await ledgerTables(c)) await writer.query(`LOCK TABLE aragora_migrate.${t} IN ROW EXCLUSIVE MODE`);
    await c.query("SET lock_timeout = '2s'");
    try {
      await ensureLedger(c);
      await ensureLedger(c);
    } finally {
      await writer.query('ROLLBACK');
    }
    expect(await storedVersion(c)).toBe(String(LEDGER_VERSION));
    expect(await ledgerShape(c)).toEqual(before);
  });

  it('refuses a ledger a newer release wrote, and leaves it as it is', async () => {
    const c = await connect();
    await ensureLedger(c);
    await c.query("UPDATE aragora_migrate.meta SET value = $1 WHERE key = 'version'", [String(LEDGER_VERSION + 1)]);
    const err: unknown = await ensureLedger(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrateError);
    expect((err as MigrateError).code).toBe('LEDGER_TOO_NEW');
    expect((err as MigrateError).message).toContain(`ledger version ${LEDGER_VERSION + 1}`);
    expect(await storedVersion(c)).toBe(String(LEDGER_VERSION + 1));
  });
});

describe('ensureLedger from several processes at once', () => {
  const PROCESSES = 6;

  it('creates one ledger on an empty database, none of them failing', async () => {
    const cs = await Promise.all(Array.from({ length: PROCESSES }, () => connect()));
    const results = await Promise.allSettled(cs.map((c) => ensureLedger(c)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const c = cs[0] as pg.Client;
    expect(await storedVersion(c)).toBe(String(LEDGER_VERSION));
    expect(await ledgerTables(c)).toEqual(Object.keys(TABLES_BY_VERSION).sort());
  });

  it('upgrades an older ledger once, none of them failing', async () => {
    const cs = await Promise.all(Array.from({ length: PROCESSES }, () => connect()));
    await migrateLedger(cs[0] as pg.Client, 1);
    const results = await Promise.allSettled(cs.map((c) => ensureLedger(c)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await storedVersion(cs[0] as pg.Client)).toBe(String(LEDGER_VERSION));
    expect(await ledgerShape(cs[0] as pg.Client)).toEqual(await freshShape());
  });
});
