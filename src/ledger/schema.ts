import type pg from 'pg';
import { TargetError } from '../errors.js';
import { withTransaction } from '../target/transaction.js';
import { qualified } from '../util/quote.js';
import { LEDGER_MIGRATIONS } from './migrations/index.js';

/**
 * The ledger: schema `aragora_migrate` in the target database. It is how a
 * killed run resumes (a batch and its checkpoint commit in one transaction),
 * what verify accounts for (rejects, conflict resolutions), what rollback
 * undoes, and what status shows. Its schema is the numbered migrations in
 * src/ledger/migrations/; the version row in `meta` says how many a ledger has
 * had, and guards against an older tool reading a newer ledger.
 */
export const LEDGER_SCHEMA = 'aragora_migrate';
/** The version of the newest migration (src/ledger/migrations/index.ts lists what each one adds). */
export const LEDGER_VERSION: number = LEDGER_MIGRATIONS[LEDGER_MIGRATIONS.length - 1]?.version ?? 0;

/** Two processes migrating the ledger at once take turns on this lock (held to the end of each migration's transaction). */
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('aragora_migrate:ledger-ddl'))";
const RECORD_VERSION_SQL =
  "INSERT INTO aragora_migrate.meta (key, value) VALUES ('version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";

/**
 * Creates the ledger if missing, or brings an older one up to this version.
 * An up-to-date ledger gets no DDL at all: ALTER TABLE takes an exclusive lock
 * even when it changes nothing, which would queue behind a running migrate's
 * batches (and deadlock with them).
 */
export async function ensureLedger(client: pg.Client): Promise<void> {
  if (checkVersion(await storedVersion(client)) === LEDGER_VERSION) return;
  await migrateLedger(client, LEDGER_VERSION);
}

/**
 * Applies the migrations the ledger has not had, up to `upTo`, oldest first,
 * each in its own transaction that also records its version: a failure leaves
 * the ledger at the last version fully applied. Each transaction takes the
 * advisory lock and then reads the version again, so a process that waited
 * while another applied the step skips it instead of colliding with it.
 * Tests pass an older `upTo` to build a ledger as an older release left it.
 */
export async function migrateLedger(client: pg.Client, upTo: number = LEDGER_VERSION): Promise<void> {
  for (const migration of LEDGER_MIGRATIONS) {
    if (migration.version > upTo) break;
    await withTransaction(client, async (tx) => {
      await tx.query(LOCK_SQL);
      if ((checkVersion(await storedVersion(tx)) ?? 0) >= migration.version) return;
      await tx.query(migration.sql);
      await tx.query(RECORD_VERSION_SQL, [String(migration.version)]);
    });
  }
}

async function storedVersion(client: pg.Client): Promise<number | null> {
  const exists = await client.query<{ ok: boolean }>("SELECT to_regclass('aragora_migrate.meta') IS NOT NULL AS ok");
  if (exists.rows[0]?.ok !== true) return null;
  const res = await client.query<{ value: string }>("SELECT value FROM aragora_migrate.meta WHERE key = 'version'");
  return res.rows[0] === undefined ? null : Number(res.rows[0].value);
}

function checkVersion(found: number | null): number | null {
  if (found !== null && found > LEDGER_VERSION) {
    throw new TargetError(
      'LEDGER_TOO_NEW',
      `the ledger was written by a newer aragora-migrate (ledger version ${found}, this tool knows ${LEDGER_VERSION})`,
    );
  }
  return found;
}

/** Whether the ledger exists, without creating it (plan and status write nothing). */
export async function ledgerExists(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>("SELECT to_regclass('aragora_migrate.runs') IS NOT NULL AS ok");
  return res.rows[0]?.ok === true;
}

/**
 * Whether the ledger has this table. Readers that must not create or upgrade
 * the ledger (status) ask before reading a table that older ledger versions
 * lack (src/ledger/schema.ts lists which version brought which).
 */
export async function ledgerTableExists(client: pg.Client, table: string): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [
    qualified(LEDGER_SCHEMA, table),
  ]);
  return r.rows[0]?.ok === true;
}
