import { jsonbParam } from './jsonb-param.js';
import type pg from 'pg';
import { ledgerTableExists } from './schema.js';
import { XID_MASK } from './rollbacks.js';
import type { FileBytes } from '../source/source-hash.js';

/**
 * aragora_migrate.verifications: one row per verify of a run, with its whole
 * report. Archive requires the latest to be ok; status lists them all. Also
 * here: what verify asks the ledger about a target table, i.e. which of its
 * rows a run accounts for other than by loading them from the source.
 */

/** One verification of a run, as status shows it. */
export interface VerificationRow {
  readonly runId: string;
  readonly verifiedAt: Date;
  readonly ok: boolean;
}

export async function recordVerification(
  client: pg.Client,
  runId: string,
  ok: boolean,
  report: unknown,
): Promise<void> {
  await client.query('INSERT INTO aragora_migrate.verifications (run_id, ok, report) VALUES ($1, $2, $3)', [
    runId,
    ok,
    jsonbParam(report),
  ]);
}

/** Whether the latest verification of a run found it equal to its source; null when it was never verified. */
export async function latestVerificationOk(client: pg.Client, runId: string): Promise<boolean | null> {
  const r = await client.query<{ ok: boolean }>(
    'SELECT ok FROM aragora_migrate.verifications WHERE run_id = $1 ORDER BY verified_at DESC LIMIT 1',
    [runId],
  );
  return r.rows[0]?.ok ?? null;
}

/**
 * The source files as the run's latest verification read them, when that
 * verification was clean; null otherwise (and for one recorded by a version
 * that did not list them). A clean verification proves the target holds
 * exactly the rows of those bytes, so where they differ from what the run read
 * (SQLite checkpointed the -wal into the .db, moving pages but no row), they
 * stand for the run as well as its own: archive moves them and migrate takes
 * them as migrated (src/pipeline/archive/archive-plan.ts,
 * src/pipeline/shared/resolve-run.ts).
 */
export async function cleanlyVerifiedFiles(client: pg.Client, runId: string): Promise<FileBytes[] | null> {
  const r = await client.query<{ ok: boolean; files: unknown }>(
    `SELECT ok, report -> 'files' AS files FROM aragora_migrate.verifications
      WHERE run_id = $1 ORDER BY verified_at DESC LIMIT 1`,
    [runId],
  );
  const row = r.rows[0];
  if (row?.ok !== true || !Array.isArray(row.files)) return null;
  return (row.files as unknown[]).filter(isFileBytes);
}

function isFileBytes(f: unknown): f is FileBytes {
  const o = f as Partial<FileBytes> | null;
  return (
    typeof o?.path === 'string'
    && typeof o.sha256 === 'string'
    && (o.walSha256 === null || typeof o.walSha256 === 'string')
  );
}

/** Every verification of these runs, oldest first; none from a ledger older than the verifications table. */
export async function verificationsOfRuns(client: pg.Client, runIds: readonly string[]): Promise<VerificationRow[]> {
  if (!(await ledgerTableExists(client, 'verifications'))) return [];
  const r = await client.query<{ run_id: string; verified_at: Date; ok: boolean }>(
    'SELECT run_id, verified_at, ok FROM aragora_migrate.verifications WHERE run_id = ANY($1) ORDER BY verified_at',
    [runIds],
  );
  return r.rows.map((x) => ({ runId: x.run_id, verifiedAt: x.verified_at, ok: x.ok }));
}

/**
 * Keys of `target` whose row a conflict policy changed (overwrite, newest,
 * merge) in a run not rolled back: verify checks them against the ledger, not
 * the source. A key where the existing row was kept (`kept-*`) still holds the
 * row loaded first, and is not among them.
 */
export async function policyResolvedKeys(client: pg.Client, target: string): Promise<string[]> {
  const r = await client.query<{ k: string }>(
    `SELECT DISTINCT c.row_key AS k FROM aragora_migrate.conflicts c JOIN aragora_migrate.runs r ON r.run_id = c.run_id AND r.state <> 'rolled-back'
      WHERE c.target_table = $1 AND c.outcome NOT LIKE 'kept-%'`,
    [target],
  );
  return r.rows.map((x) => x.k);
}

/**
 * The keys other runs (not rolled back) inserted into the target table `$1`,
 * `$2` being this run, as the rows have them in the target (after any
 * re-keying: batches record the target key): columns `k` and `run_id`.
 */
export const OTHER_RUN_KEYS = `SELECT DISTINCT k.k, b.run_id ${otherRunBatches('CROSS JOIN LATERAL unnest(b.loaded_keys) AS k(k)')}`;

/**
 * The transactions of other runs' batches into the target table `$1`, `$2`
 * being this run, as xmin text: a row whose key has a NULL part is recorded
 * under its `rowid:` handle, which no target row's key reads as, so such a row
 * tells its run by the transaction that wrote it (column `x`).
 */
export const OTHER_RUN_XIDS = `SELECT DISTINCT (b.xid & ${XID_MASK})::text AS x ${otherRunBatches()} AND b.xid IS NOT NULL`;

/** FROM and WHERE over the batches other runs (not rolled back) loaded into the target table `$1`, `$2` being this run. */
function otherRunBatches(join = ''): string {
  return `FROM aragora_migrate.batches b
       JOIN aragora_migrate.run_tables t USING (run_id, source_file, source_table)
       JOIN aragora_migrate.runs r ON r.run_id = b.run_id AND r.state <> 'rolled-back'
       ${join}
      WHERE t.target_table = $1 AND b.run_id <> $2`;
}

/** Keys other runs (not rolled back) inserted into `target`, with the run. */
export async function keysOfOtherRuns(
  client: pg.Client,
  target: string,
  runId: string,
): Promise<{ key: string; runId: string }[]> {
  const r = await client.query<{ k: string; run_id: string }>(OTHER_RUN_KEYS, [target, runId]);
  return r.rows.map((x) => ({ key: x.k, runId: x.run_id }));
}

/** Whether another run (not rolled back) inserted rows into `target`. */
export async function otherRunsLoaded(client: pg.Client, target: string, runId: string): Promise<boolean> {
  const r = await client.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 ${otherRunBatches()} AND cardinality(b.loaded_keys) > 0) AS any`,
    [target, runId],
  );
  return r.rows[0]?.any === true;
}

/** Rowids (as text) of one source table that a run rejected at load time. */
export async function rejectedRowids(
  client: pg.Client,
  runId: string,
  sourceFile: string,
  sourceTable: string,
): Promise<string[]> {
  const r = await client.query<{ r: string }>(
    'SELECT source_rowid::text AS r FROM aragora_migrate.rejects WHERE run_id = $1 AND source_file = $2 AND source_table = $3',
    [runId, sourceFile, sourceTable],
  );
  return r.rows.map((x) => x.r);
}

/** Rowids (as text) of one source table that a conflict policy resolved instead of loading them as new rows (all but keep-both). */
export async function resolvedRowids(
  client: pg.Client,
  runId: string,
  sourceFile: string,
  sourceTable: string,
): Promise<string[]> {
  const r = await client.query<{ r: string }>(
    "SELECT source_rowid::text AS r FROM aragora_migrate.conflicts WHERE run_id = $1 AND source_file = $2 AND source_table = $3 AND outcome <> 'kept-both'",
    [runId, sourceFile, sourceTable],
  );
  return r.rows.map((x) => x.r);
}

/**
 * Ids a run re-assigned in one source table, source id → target id: an
 * autoincrement surrogate (id_map), as pairs of big-endian int64 (source id,
 * target id) sorted by source id, aggregated by the server into one value (a
 * second instance re-assigns an id per row: 500k rows, 8 MB, instead of 500k
 * row objects); and a text id loaded under keep-both as another key
 * (conflicts.target_key), as text pairs.
 */
export async function reassignedIds(
  client: pg.Client,
  runId: string,
  sourceFile: string,
  sourceTable: string,
): Promise<{ readonly ints: Buffer; readonly texts: (readonly [string, string])[] }> {
  const args = [runId, sourceFile, sourceTable];
  const ints = await client.query<{ pairs: Buffer | null }>(
    `SELECT string_agg(int8send(source_id) || int8send(target_id), ''::bytea ORDER BY source_id) AS pairs
       FROM aragora_migrate.id_map WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
    args,
  );
  const texts = await client.query<{ s: string; t: string }>(
    `SELECT row_key AS s, target_key AS t FROM aragora_migrate.conflicts
      WHERE run_id = $1 AND source_file = $2 AND source_table = $3 AND outcome = 'kept-both'`,
    args,
  );
  return {
    ints: ints.rows[0]?.pairs ?? Buffer.alloc(0),
    texts: texts.rows.map((x) => [x.s, x.t] as const),
  };
}
