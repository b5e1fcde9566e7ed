import type pg from 'pg';
import { ConfigError, MigrateError } from '../../errors.js';
import {
  laterRunsOnItsTables,
  otherRunsWroteTable,
  readRunChanges,
  runTargetTables,
  type RunChangesQuery,
} from '../../ledger/rollbacks.js';
import type { RunRow } from '../../ledger/runs.js';
import type { MappingSet } from '../../mapping/load.js';
import { primaryKeyColumns } from '../../target/target-ddl.js';
import { withTransaction } from '../../target/transaction.js';
import { dependenciesFirst } from '../../util/order.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import { targetName } from '../../mapping/target-name.js';

/**
 * What rolling back a run would do, table by table, found with SELECTs only.
 * The dry run reports it; the real rollback checks it before anything changes
 * and then, per table under the table's lock, plans again with the same
 * planTable and applies that (src/pipeline/rollback/rollback.ts), so the two
 * cannot disagree.
 */

/** What the run did to one target table, as the ledger knows it. */
export interface TableWork {
  readonly target: string;
  readonly keyColumns: readonly KeyColumn[];
  readonly done: boolean;
  readonly created: boolean;
  /** The `_schema_versions` module of the application store that owns the table, if any. */
  readonly appModule: string | null;
}

/** A key column of a target table and its type (format_type's spelling; text when the table is gone). */
export interface KeyColumn {
  readonly name: string;
  readonly type: string;
}

/** A key of a row the run wrote that someone changed or deleted since, or of one its rows that another table's rows point at. */
export interface ChangedRow {
  readonly k: string;
  readonly deleted: boolean;
}

/** What rolling back one table does: rows deleted and restored, rows in the way, and whether the table goes. */
export interface TablePlan {
  readonly rowsDeleted: number;
  readonly rowsRestored: number;
  /** Rows changed since the run: a rollback without --force refuses them. */
  readonly changed: readonly ChangedRow[];
  readonly dropped: boolean;
  /** Why a table the run created stays; null for a table it did not create, or one that goes. */
  readonly keptBecause: string | null;
  /** The table no longer exists: dropped by hand since the run, with its rows. */
  readonly gone: boolean;
  /** Keys the run recorded under `rowid:` handles that name no row: its rows go by runNullKeyRow. */
  readonly handles: number;
}

/** The plan of a table that no longer exists: the run's rows went with it, and nothing is left to delete or drop. */
const GONE: TablePlan = {
  rowsDeleted: 0,
  rowsRestored: 0,
  changed: [],
  dropped: false,
  keptBecause: null,
  gone: true,
  handles: 0,
};

/** Whether `table` (schema-qualified, quoted) no longer exists. */
export async function tableGone(tx: pg.Client, table: string): Promise<boolean> {
  const r = await tx.query<{ gone: boolean }>('SELECT to_regclass($1) IS NULL AS gone', [table]);
  return r.rows[0]?.gone === true;
}

/** The tables of a run, children first (the order rollback takes them in), each with its plan; null for a table an earlier rollback finished. */
export interface RollbackPlan {
  readonly tables: readonly { readonly work: TableWork; readonly plan: TablePlan | null }[];
}

/**
 * Plans the rollback of `run`, in one read-only transaction (one snapshot of
 * the target and the ledger): refuses if later runs wrote into its tables,
 * then plans every table not done yet.
 */
export async function planRollback(client: pg.Client, run: RunRow, mappings: MappingSet): Promise<RollbackPlan> {
  return withTransaction(
    client,
    async (tx) => {
      await refuseLaterRuns(tx, run);
      const schema = run.target_schema;
      const work = await childrenFirst(tx, schema, await tablesOf(tx, run.run_id, schema, mappings));
      const tables: { work: TableWork; plan: TablePlan | null }[] = [];
      // In this snapshot the tables the rollback drops first still stand: the tables after them are planned without them.
      const gone = new Set<string>();
      for (const w of work) {
        const plan = w.done
          ? null
          : await planTable(tx, readRunChanges(tx, run.run_id, w.target), run.run_id, schema, w, gone);
        if (plan?.dropped === true) gone.add(qualified(schema, w.target));
        tables.push({ work: w, plan });
      }
      return { tables };
    },
    'ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}

/**
 * Plans one table from the sets `q` reads (staged or read in place, src/ledger/rollbacks.ts):
 * the rows DELETE … USING rb_ins would delete, the rows the restoring UPDATE
 * would set back, the rows changed since, and whether the table would be empty
 * after the delete and dropped. `gone`: tables (schema-qualified, quoted) the
 * rollback drops before this one, which a snapshot taken before still shows.
 */
export async function planTable(
  tx: pg.Client,
  q: RunChangesQuery,
  runId: string,
  schema: string,
  w: TableWork,
  gone: ReadonlySet<string> = new Set(),
): Promise<TablePlan> {
  const table = qualified(schema, w.target);
  // Dropped by hand since the run: there is nothing to read, delete or drop.
  if (await tableGone(tx, table)) return GONE;
  const refs = (await referencingKeys(tx, schema, w.target)).filter((k) => !gone.has(k.child));
  const handles = await keysReadable(runId, w, () => unmatchedHandleCount(q, table, w.keyColumns));
  const changed = [
    ...(await keysReadable(runId, w, () => queryChanged(q, table, w.keyColumns, handles))),
    ...(await dependentRows(q, schema, w, refs)),
  ];
  const ownNullKey = handles > 0 ? runNullKeyRow(w.keyColumns) : 'false';
  const counts = await q<{ deleted: string; restored: string; rows_remain: boolean }>(
    `SELECT (SELECT count(*) FROM ${table} AS t WHERE EXISTS (SELECT 1 FROM rb_ins AS x WHERE ${keyMatch(w.keyColumns, 'x.k')}) OR (${ownNullKey})) AS deleted,
            (SELECT count(*) FROM ${table} AS t WHERE EXISTS (SELECT 1 FROM rb_res AS r WHERE ${keyMatch(w.keyColumns, 'r.row_key')})) AS restored,
            EXISTS (SELECT 1 FROM ${table} AS t WHERE NOT EXISTS (SELECT 1 FROM rb_ins AS x WHERE ${keyMatch(w.keyColumns, 'x.k')}) AND NOT (${ownNullKey})) AS rows_remain`,
  );
  const c = counts.rows[0];
  // A table of key columns only has nothing to set back (restoreChangedRows in rollback.ts).
  const restorable = (await restorableColumns(tx, table, w.keyColumns)).length > 0;
  const drop = await dropDecision(tx, runId, schema, w, refs, c?.rows_remain !== true);
  return {
    rowsDeleted: Number(c?.deleted ?? 0),
    rowsRestored: restorable ? Number(c?.restored ?? 0) : 0,
    changed,
    ...drop,
    gone: false,
    handles,
  };
}

/** How many rows of the table the run recorded under `rowid:` handles that name no row (runNullKeyRow). */
async function unmatchedHandleCount(
  q: RunChangesQuery,
  table: string,
  keyColumns: readonly KeyColumn[],
): Promise<number> {
  return Number(
    (await q<{ n: string }>(`SELECT count(*) AS n FROM ${unmatchedHandles(table, keyColumns)}`)).rows[0]?.n ?? 0,
  );
}

/** The columns the restore sets from the row before the run: every column but the key. */
export async function restorableColumns(
  tx: pg.Client,
  table: string,
  keyColumns: readonly KeyColumn[],
): Promise<string[]> {
  const r = await tx.query<{ c: string }>(
    `SELECT attname AS c FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );
  return r.rows.map((x) => x.c).filter((c) => !keyColumns.some((k) => k.name === c));
}

/** Runs after this one wrote into its tables: their rows sit on top of its rows, so they go first. */
async function refuseLaterRuns(client: pg.Client, run: RunRow): Promise<void> {
  const dependents = await laterRunsOnItsTables(client, run);
  if (dependents.length > 0) {
    throw new MigrateError(
      'ROLLBACK_DEPENDENT_RUNS',
      `later runs wrote into the tables of run ${run.run_id}; roll them back first, newest first: ${dependents.map((d) => `${d.runId} (instance ${d.instance}: ${d.tables.join(', ')})`).join('; ')}`,
    );
  }
}

async function tablesOf(client: pg.Client, runId: string, schema: string, mappings: MappingSet): Promise<TableWork[]> {
  const tables = await runTargetTables(client, runId);
  const types = await columnTypes(
    client,
    tables.map((x) => qualified(schema, x.target)),
  );
  const work: TableWork[] = [];
  for (const x of tables) {
    const spec = mappings.bySource.get(x.sourceTable)?.table;
    // A table the set does not map (loaded under --auto, or by another set): the key is the target's primary key.
    const names = spec?.key.map((k) => targetName(spec, k)) ?? (await primaryKeyColumns(client, schema, x.target));
    // Dropped since: nothing of it is left to undo (rollbackTable records it as gone), and no key is needed.
    if (names === null && !(await tableGone(client, qualified(schema, x.target)))) {
      throw new ConfigError(
        'ROLLBACK_NO_MAPPING',
        `run ${runId} loaded ${x.target} from ${x.sourceTable}, which the mapping set in use does not map, and ${x.target} has no primary key to tell its rows by`,
      );
    }
    const keyColumns = (names ?? []).map((name) => ({
      name,
      type: types.get(`${qualified(schema, x.target)}.${name}`) ?? 'text',
    }));
    work.push({
      target: x.target,
      keyColumns,
      done: x.done,
      created: x.created,
      appModule: mappings.bySource.get(x.sourceTable)?.store.appModule ?? null,
    });
  }
  return work;
}

/** The types of the columns of `tables` (schema-qualified, quoted) that exist, by `<table>.<column>`. */
async function columnTypes(client: pg.Client, tables: readonly string[]): Promise<Map<string, string>> {
  const r = await client.query<{ k: string; t: string }>(
    `SELECT x.tbl || '.' || a.attname AS k, format_type(a.atttypid, a.atttypmod) AS t
       FROM unnest($1::text[]) AS x(tbl)
       JOIN pg_attribute a ON a.attrelid = to_regclass(x.tbl) AND a.attnum > 0 AND NOT a.attisdropped`,
    [tables],
  );
  return new Map(r.rows.map((x) => [x.k, x.t] as const));
}

/** A foreign key of another table referencing a table being rolled back. */
interface ReferencingKey {
  readonly name: string;
  /** The referencing table, schema-qualified and quoted. */
  readonly child: string;
  readonly columns: readonly string[];
  readonly parentColumns: readonly string[];
  /** pg_constraint.confdeltype: c = cascade, a = no action, r = restrict, n = set null, d = set default. */
  readonly onDelete: string;
}

async function referencingKeys(client: pg.Client, schema: string, target: string): Promise<ReferencingKey[]> {
  const r = await client.query<{
    name: string;
    child_schema: string;
    child: string;
    columns: string[];
    parent_columns: string[];
    on_delete: string;
  }>(
    `SELECT k.conname AS name, cn.nspname AS child_schema, c.relname AS child, k.confdeltype::text AS on_delete,
            ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY AS x(n, o) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n ORDER BY x.o)::text[] AS columns,
            ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY AS x(n, o) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.n ORDER BY x.o)::text[] AS parent_columns
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
      WHERE k.contype = 'f' AND k.confrelid = to_regclass($1) AND k.conrelid <> k.confrelid ORDER BY k.conname`,
    [qualified(schema, target)],
  );
  return r.rows.map((x) => ({
    name: x.name,
    child: qualified(x.child_schema, x.child),
    columns: x.columns,
    parentColumns: x.parent_columns,
    onDelete: x.on_delete,
  }));
}

/**
 * Tables referencing others are rolled back first: their rows go before the
 * rows they point to, and an empty table the run created is dropped before
 * the table it references.
 */
async function childrenFirst(client: pg.Client, schema: string, work: readonly TableWork[]): Promise<TableWork[]> {
  const children = new Map<string, string[]>();
  for (const w of work)
    children.set(
      w.target,
      (await referencingKeys(client, schema, w.target)).map((k) => k.child),
    );
  return dependenciesFirst(
    work,
    (w) => qualified(schema, w.target),
    (w) => children.get(w.target) ?? [],
  );
}

/**
 * Rows of other tables that point at rows the run inserted and that the tool
 * did not write (the application's, another run's): deleting the run's rows
 * would delete them too (ON DELETE CASCADE) or fail. Counted like changed rows.
 */
async function dependentRows(
  q: RunChangesQuery,
  schema: string,
  w: TableWork,
  refs: readonly ReferencingKey[],
): Promise<ChangedRow[]> {
  const out: ChangedRow[] = [];
  for (const fk of refs) {
    const on = fk.columns
      .map((c, i) => `c.${quoteIdent(c)} = t.${quoteIdent(fk.parentColumns[i] as string)}`)
      .join(' AND ');
    const r = await q<{ k: string }>(
      `SELECT DISTINCT x.k FROM rb_ins AS x JOIN ${qualified(schema, w.target)} AS t ON ${keyMatch(w.keyColumns, 'x.k')}
         JOIN ${fk.child} AS c ON ${on}
        WHERE c.xmin::text NOT IN (SELECT x FROM rb_xid) ORDER BY x.k`,
    );
    const how = fk.onDelete === 'c' ? 'ON DELETE CASCADE would delete them' : 'they would stop the delete';
    for (const row of r.rows)
      out.push({ k: `${row.k} (referenced by rows of ${fk.child} the run did not write: ${how})`, deleted: false });
  }
  return out;
}

const STRING_TYPE = /^(?:text|character|citext|name)\b/;

/**
 * SQL true when target row `t` has the ledger key `keyExpr` (src/tables/target-key.ts
 * targetKey): each part cast to its column's type, which gives back the value
 * the part is the input text of, whatever the type (a bytea's `\x…`, a
 * timestamp with its offset, a float's shortest digits), and lets an index on
 * the key serve the match. A `rowid:` handle (a key with a NULL part) names no
 * row, and is not cast.
 */
export function keyMatch(keyColumns: readonly KeyColumn[], keyExpr: string): string {
  const typed = (k: KeyColumn, text: string): string => (k.type === 'text' ? text : `(${text})::${k.type}`);
  if (keyColumns.length === 1) {
    const k = keyColumns[0] as KeyColumn;
    // A text's input takes any text; another type's could refuse the handle.
    const text = STRING_TYPE.test(k.type) ? keyExpr : `CASE WHEN ${keyExpr} NOT LIKE 'rowid:%' THEN ${keyExpr} END`;
    return `t.${quoteIdent(k.name)} = ${typed(k, text)}`;
  }
  // A composite key is a JSON array of texts; anything else (a `rowid:` handle) matches no row.
  const parts = `(CASE WHEN left(${keyExpr}, 1) = '[' THEN ${keyExpr}::jsonb END)`;
  return keyColumns.map((k, i) => `t.${quoteIdent(k.name)} = ${typed(k, `${parts} ->> ${i}`)}`).join(' AND ');
}

/**
 * Rows the run wrote (inserted or resolved: rb_ins and rb_res, src/ledger/rollbacks.ts) that
 * someone changed or deleted since: their xmin is none of the tool's own.
 */
async function queryChanged(
  q: RunChangesQuery,
  table: string,
  keyColumns: readonly KeyColumn[],
  handles: number,
): Promise<ChangedRow[]> {
  const r = await q<{ k: string; deleted: boolean }>(
    `SELECT x.k, t.xmin IS NULL AS deleted
       FROM (SELECT k FROM rb_ins UNION ALL SELECT row_key FROM rb_res) AS x
       LEFT JOIN ${table} AS t ON ${keyMatch(keyColumns, 'x.k')}
      WHERE (t.xmin IS NULL AND x.k NOT LIKE 'rowid:%') OR t.xmin::text NOT IN (SELECT x FROM rb_xid)
      ORDER BY x.k`,
  );
  // Handles name no row: as many of the run's rows with a NULL in the key must still be there.
  if (handles === 0) return r.rows;
  const found = Number(
    (await q<{ n: string }>(`SELECT count(*) AS n FROM ${table} AS t WHERE ${runNullKeyRow(keyColumns)}`)).rows[0]?.n
      ?? 0,
  );
  const missing = handles - found;
  if (missing <= 0) return r.rows;
  const gone = await q<{ k: string }>(
    `SELECT x.k FROM ${unmatchedHandles(table, keyColumns)} ORDER BY x.k LIMIT ${missing}`,
  );
  return [
    ...r.rows,
    ...gone.rows.map((x) => ({ k: `${x.k} (a row with a NULL key: changed or deleted since)`, deleted: false })),
  ];
}

/**
 * A row whose key has a NULL part (a nullable column of the mapping's key,
 * such as `elo_matches.debate_id`) is recorded under its `rowid:` handle
 * (src/util/keys.ts), which names no row of the target: rollback refused such
 * a run as "deleted since" and, forced, left the rows. The run's own such rows
 * are those with a NULL in the key that its batches wrote and no one changed
 * since (xmin among rb_xid): a NULL key meets no other row, so no policy, no
 * other run and no rollback writes them. SQL over target row `t`.
 */
export function runNullKeyRow(keyColumns: readonly KeyColumn[]): string {
  const nullPart = keyColumns.map((k) => `t.${quoteIdent(k.name)} IS NULL`).join(' OR ');
  return `(${nullPart}) AND t.xmin::text IN (SELECT x FROM rb_xid)`;
}

/** The FROM item `x`: the run's handles (`rowid:` keys it inserted) that name no row, as a literal text key could. */
function unmatchedHandles(table: string, keyColumns: readonly KeyColumn[]): string {
  return `(SELECT k FROM rb_ins AS x WHERE x.k LIKE 'rowid:%'
             AND NOT EXISTS (SELECT 1 FROM ${table} AS t WHERE ${keyMatch(keyColumns, 'x.k')})) AS x`;
}

/**
 * The first statement that reads the run's recorded keys as the table's key
 * columns. Keys another key recorded (the run was migrated with a mapping set
 * that keyed the table otherwise, and rollback was given another one, or none
 * for a table the shipped set does not map) do not read as those columns'
 * types: a name is no bigint. That stopped the rollback with an internal
 * error (exit 1); it is the usage error it is.
 */
async function keysReadable<T>(runId: string, w: TableWork, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err: unknown) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('22')) throw err;
    const key = w.keyColumns.map((k) => `${k.name} ${k.type}`).join(', ');
    throw new ConfigError(
      'ROLLBACK_NO_MAPPING',
      `the keys run ${runId} recorded for ${w.target} are not values of the key rollback tells its rows by (${key}): ${(err as Error).message}; the run was migrated with another mapping set, or keyed that table otherwise`,
    );
  }
}

/**
 * A table the run created goes once the delete leaves it empty, unless another
 * run wrote into it or keepReason says why it stays. Every table the run
 * created that stays gets its reason.
 */
async function dropDecision(
  tx: pg.Client,
  runId: string,
  schema: string,
  w: TableWork,
  refs: readonly ReferencingKey[],
  emptyAfter: boolean,
): Promise<{ dropped: boolean; keptBecause: string | null }> {
  if (!w.created) return { dropped: false, keptBecause: null };
  if (!emptyAfter) return { dropped: false, keptBecause: 'rows the run did not insert remain in it' };
  if (await otherRunsWroteTable(tx, w.target, runId))
    return { dropped: false, keptBecause: 'another run, not rolled back, wrote into it' };
  const keptBecause = await keepReason(tx, schema, w, refs);
  return { dropped: keptBecause === null, keptBecause };
}

/**
 * Why an empty table the run created stays: a table outside the rollback
 * references it (dropping it would drop that key), or the application's store
 * has recorded its schema in `_schema_versions` since, and would never create
 * the table again (it skips its schema once its version is recorded).
 */
async function keepReason(
  client: pg.Client,
  schema: string,
  w: TableWork,
  refs: readonly ReferencingKey[],
): Promise<string | null> {
  if (refs.length > 0) return `referenced by ${refs.map((r) => `${r.child} (${r.name})`).join(', ')}`;
  if (w.appModule === null) return null;
  const versions = qualified(schema, '_schema_versions');
  const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [versions]);
  if (exists.rows[0]?.ok !== true) return null;
  const recorded = await client.query(`SELECT 1 FROM ${versions} WHERE module = $1`, [w.appModule]);
  return recorded.rowCount === 0
    ? null
    : `the application recorded module ${w.appModule} in ${versions}: it would not create the table again`;
}
