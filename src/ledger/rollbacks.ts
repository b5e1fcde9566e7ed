import type pg from 'pg';
import type { RunRow } from './runs.js';

/**
 * aragora_migrate.rollbacks: one row per target table a rollback finished,
 * written in the same transaction as the table's rows, so a rerun skips the
 * tables already done. Also here: what rollback asks the ledger about a run
 * (the tables it wrote, the rows it inserted or changed, the transactions
 * that were the tool's own).
 */

/** A target table a run wrote, as the ledger knows it. */
export interface RunTargetTable {
  readonly target: string;
  /** One source table that fed it (the first by name): the mapping that says its key. */
  readonly sourceTable: string;
  /** A rollback of this run already finished the table. */
  readonly done: boolean;
  /** The run created the table (aragora_migrate.created_tables). */
  readonly created: boolean;
}

/** xmin is the low 32 bits of txid_current(). */
export const XID_MASK = '4294967295';

/** The target tables a run wrote, by name. */
export async function runTargetTables(client: pg.Client, runId: string): Promise<RunTargetTable[]> {
  const r = await client.query<{ target_table: string; source_table: string; done: boolean; created: boolean }>(
    `SELECT t.target_table, min(t.source_table) AS source_table,
            EXISTS (SELECT 1 FROM aragora_migrate.rollbacks b WHERE b.run_id = $1 AND b.target_table = t.target_table) AS done,
            EXISTS (SELECT 1 FROM aragora_migrate.created_tables c WHERE c.run_id = $1 AND c.target_table = t.target_table) AS created
       FROM aragora_migrate.run_tables t WHERE t.run_id = $1 GROUP BY t.target_table ORDER BY t.target_table`,
    [runId],
  );
  return r.rows.map((x) => ({ target: x.target_table, sourceTable: x.source_table, done: x.done, created: x.created }));
}

/** Runs started after `run`, not rolled back, that wrote into any of its target tables: newest first, with those tables. */
export async function laterRunsOnItsTables(
  client: pg.Client,
  run: Pick<RunRow, 'run_id' | 'started_at'>,
): Promise<{ runId: string; instance: string; tables: string[] }[]> {
  const r = await client.query<{ run_id: string; instance: string; tables: string[] }>(
    `SELECT r.run_id, r.instance, array_agg(DISTINCT t.target_table ORDER BY t.target_table) AS tables
       FROM aragora_migrate.runs r JOIN aragora_migrate.run_tables t USING (run_id)
      WHERE r.run_id <> $1 AND r.state <> 'rolled-back' AND (r.started_at, r.run_id) > ($2::timestamptz, $1)
        AND t.target_table IN (SELECT target_table FROM aragora_migrate.run_tables WHERE run_id = $1)
      GROUP BY r.run_id, r.instance, r.started_at ORDER BY r.started_at DESC`,
    [run.run_id, run.started_at],
  );
  return r.rows.map((x) => ({ runId: x.run_id, instance: x.instance, tables: x.tables }));
}

/** Whether a run other than `runId`, not rolled back, wrote into `target`. */
export async function otherRunsWroteTable(client: pg.Client, target: string, runId: string): Promise<boolean> {
  const r = await client.query(
    `SELECT 1 FROM aragora_migrate.run_tables t JOIN aragora_migrate.runs r USING (run_id) WHERE t.target_table = $1 AND t.run_id <> $2 AND r.state <> 'rolled-back' LIMIT 1`,
    [target, runId],
  );
  return (r.rowCount ?? 0) > 0;
}

/**
 * What one run did to one target table, as SELECTs on the ledger ($1 the run
 * id, $2 the target table), for rollback's statements on that table to join
 * against under these names:
 * - `rb_ins (k)`: the keys the run inserted (as the target has them);
 * - `rb_res (row_key, before_row)`: the rows it changed, with their state before
 *   (the first resolution of each key), keys it inserted aside;
 * - `rb_xid (x)`: the transactions whose writes are the tool's own (the run's
 *   batches, every rollback), as xmin text.
 * One definition for both ways of reading them (stageRunChanges, readRunChanges),
 * so a dry run and a real rollback see the same sets.
 */
const RUN_CHANGES: readonly { readonly name: string; readonly sql: string; readonly params: 1 | 2 }[] = [
  {
    name: 'rb_ins',
    // The run's source tables of this target first, then their batches by the key's prefix: joined
    // the other way round, each batch of the run scanned the run's tables, 12 ms a target for a run
    // of 300 tables (docs/performance.md, "Rollback").
    sql: `WITH rb_tables AS MATERIALIZED (
           SELECT run_id, source_file, source_table FROM aragora_migrate.run_tables WHERE run_id = $1 AND target_table = $2)
         SELECT DISTINCT k.k FROM rb_tables t
         JOIN aragora_migrate.batches b USING (run_id, source_file, source_table)
         CROSS JOIN LATERAL unnest(b.loaded_keys) AS k(k)`,
    params: 2,
  },
  {
    name: 'rb_res',
    sql: `SELECT DISTINCT ON (c.row_key) c.row_key, c.before_row FROM aragora_migrate.conflicts c
        WHERE c.run_id = $1 AND c.target_table = $2 AND c.outcome NOT LIKE 'kept-%'
          AND NOT EXISTS (SELECT 1 FROM rb_ins i WHERE i.k = c.row_key)
        ORDER BY c.row_key, c.xid, c.source_rowid`,
    params: 2,
  },
  {
    name: 'rb_xid',
    sql: `SELECT DISTINCT (xid & ${XID_MASK})::text AS x FROM aragora_migrate.batches WHERE run_id = $1 AND xid IS NOT NULL
       UNION SELECT DISTINCT (xid & ${XID_MASK})::text FROM aragora_migrate.rollbacks`,
    params: 1,
  },
];

/** Runs one statement that reads `rb_ins`, `rb_res` and `rb_xid` (and takes no parameters of its own). */
export type RunChangesQuery = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
) => Promise<pg.QueryResult<R>>;

/**
 * Stages the sets of RUN_CHANGES in temp tables of this session (analysed, for
 * the statements that delete and restore on large tables) and returns how to
 * query them. Call it inside a transaction: the tables go at its end (ON COMMIT DROP).
 * A read-only transaction cannot create them: use readRunChanges there.
 */
export async function stageRunChanges(tx: pg.Client, runId: string, target: string): Promise<RunChangesQuery> {
  await tx.query(`DROP TABLE IF EXISTS ${RUN_CHANGES.map((x) => `pg_temp.${x.name}`).join(', ')}`);
  for (const x of RUN_CHANGES)
    await tx.query(`CREATE TEMP TABLE ${x.name} ON COMMIT DROP AS ${x.sql}`, [runId, target].slice(0, x.params));
  await tx.query(RUN_CHANGES.map((x) => `ANALYZE ${x.name}`).join('; '));
  return (sql) => tx.query(sql);
}

/**
 * The same sets as stageRunChanges, read in place: each statement gets them as
 * common table expressions, so nothing is written (a dry run, in a read-only
 * transaction).
 */
export function readRunChanges(client: pg.Client, runId: string, target: string): RunChangesQuery {
  const ctes = `WITH ${RUN_CHANGES.map((x) => `${x.name} AS (${x.sql})`).join(',\n')}\n`;
  return (sql) => client.query(`${ctes}${sql}`, [runId, target]);
}

/**
 * Records one target table as rolled back, in the transaction that rolled it
 * back: the row's xid (txid_current() by default) makes the rows it restored
 * the tool's own for a later rollback (rb_xid).
 */
export async function recordRollbackOfTable(
  tx: pg.Client,
  t: { runId: string; target: string; rowsDeleted: number; rowsRestored: number; forcedKeys: readonly string[] },
): Promise<void> {
  await tx.query(
    'INSERT INTO aragora_migrate.rollbacks (run_id, target_table, rows_deleted, rows_restored, forced_keys) VALUES ($1, $2, $3, $4, $5)',
    [t.runId, t.target, t.rowsDeleted, t.rowsRestored, t.forcedKeys],
  );
}
