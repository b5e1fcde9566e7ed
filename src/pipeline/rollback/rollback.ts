import type pg from 'pg';
import type { ResolvedConfig } from '../../config/load-config.js';
import { ConfigError, MigrateError, EXIT } from '../../errors.js';
import {
  laterRunsOnItsTables,
  otherRunsWroteTable,
  recordRollbackOfTable,
  runTargetTables,
  stageRunChanges,
} from '../../ledger/rollbacks.js';
import { runById, setRunState, type RunRow } from '../../ledger/runs.js';
import { ledgerExists } from '../../ledger/schema.js';
import type { MappingSet } from '../../mapping/load.js';
import { dependenciesFirst } from '../../util/order.js';
import { qualified, quoteIdent, quoteLiteral } from '../../util/quote.js';
import { restoreArchivedFiles } from '../archive/archive.js';
import { connectTarget } from '../../target/connect.js';
import { withRunLock, withTransaction } from '../../target/transaction.js';
import type { RollbackReport, RollbackTable } from '../../report/rollback-report.js';

export interface RollbackOptions {
  readonly config: ResolvedConfig;
  readonly mappings: MappingSet;
  readonly runId: string;
  /** Roll back rows the application changed since the run too (their keys are recorded). */
  readonly force: boolean;
  readonly lockTimeoutSeconds: number;
  readonly maxKeys: number;
  readonly signal?: AbortSignal;
}

/** What the run did to one target table, as the ledger knows it. */
interface TableWork {
  readonly target: string;
  readonly keyColumns: readonly string[];
  readonly done: boolean;
  readonly created: boolean;
  /** The `_schema_versions` module of the application store that owns the table, if any. */
  readonly appModule: string | null;
}

/**
 * Undoes one run in PostgreSQL and puts its archived files back. Per target
 * table, in one transaction: the rows the run inserted are deleted, the rows it
 * overwrote or merged get their row from before, and a ledger row records it,
 * so a kill between tables leaves whole tables done and a rerun continues.
 *
 * A row the application changed since the run is recognised by its xmin: the
 * run's batches and every rollback record their transaction ids, so a row whose
 * xmin is none of those was written by someone else. Such rows stop the
 * rollback (exit 5, keys listed) unless --force.
 */
export async function runRollback(opts: RollbackOptions): Promise<RollbackReport> {
  const { config } = opts;
  if (config.target === null) throw new ConfigError('CONFIG_DSN_MISSING', 'rollback needs the target PostgreSQL');
  const started = Date.now();
  const client = await connectTarget(config.target, `aragora-migrate rollback ${opts.runId}`.slice(0, 63));
  try {
    if (!(await ledgerExists(client)))
      throw new ConfigError(
        'ROLLBACK_NO_RUN',
        `no migration ledger in ${config.target.display}: nothing was migrated there`,
      );
    const run = await runById(client, opts.runId);
    if (run === null) throw new ConfigError('ROLLBACK_NO_RUN', `no run ${opts.runId} in the ledger`);
    const report = reportOf(run, opts, started);
    if (run.state === 'rolled-back')
      return report('noop', [], noFiles(), `nothing to do: run ${run.run_id} is already rolled back`);
    // The migration lock: no migrate (and no other rollback) writes meanwhile,
    // and a run that is still loading cannot be rolled back under its feet.
    return await withRunLock(
      client,
      opts.lockTimeoutSeconds,
      () => rollbackRun(client, run, opts, report),
      opts.signal,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

type ReportOf = (
  state: RollbackReport['state'],
  tables: RollbackTable[],
  files: { restored: string[]; alreadyInPlace: string[] },
  message: string,
) => RollbackReport;

/** No archived file moved back (a noop, a refusal). */
const noFiles = (): { restored: string[]; alreadyInPlace: string[] } => ({ restored: [], alreadyInPlace: [] });

function reportOf(run: RunRow, opts: RollbackOptions, started: number): ReportOf {
  return (state, tables, files, message) => ({
    command: 'rollback',
    runId: run.run_id,
    instance: run.instance,
    exitCode: state === 'refused' ? EXIT.REFUSED : EXIT.OK,
    state,
    forced: opts.force,
    tables,
    filesRestored: files.restored,
    filesAlreadyInPlace: files.alreadyInPlace,
    seconds: (Date.now() - started) / 1000,
    message,
  });
}

/** The rollback of one run, under the migration lock: refuse if later runs or changed rows stand in the way, then undo table by table, then put the files back. */
async function rollbackRun(
  client: pg.Client,
  run: RunRow,
  opts: RollbackOptions,
  report: ReportOf,
): Promise<RollbackReport> {
  await refuseLaterRuns(client, run);
  const schema = run.target_schema;
  const work = await childrenFirst(client, schema, await tablesOf(client, run.run_id, opts.mappings));
  // Check every table first, so a refusal changes nothing anywhere.
  const checks = new Map<string, { changed: number; keys: string[] }>();
  for (const w of work.filter((x) => !x.done))
    checks.set(w.target, await changedRows(client, run.run_id, schema, w, opts.maxKeys));
  const changedTotal = [...checks.values()].reduce((n, c) => n + c.changed, 0);
  if (changedTotal > 0 && !opts.force) {
    const tables = work.map((w) => ({
      target: w.target,
      rowsDeleted: 0,
      rowsRestored: 0,
      changed: checks.get(w.target)?.changed ?? 0,
      changedKeys: checks.get(w.target)?.keys ?? [],
      alreadyDone: w.done,
      dropped: false,
      keptBecause: null,
    }));
    const listed = tables
      .filter((t) => t.changed > 0)
      .map(
        (t) =>
          `${t.target}: ${t.changedKeys.join(', ')}${t.changed > t.changedKeys.length ? ` (+${t.changed - t.changedKeys.length} more)` : ''}`,
      );
    return report(
      'refused',
      tables,
      noFiles(),
      `refused: ${changedTotal} row(s) written by run ${run.run_id} changed since (${listed.join('; ')}); nothing was rolled back. Check them; --force rolls them back too`,
    );
  }

  await setRunState(client, run.run_id, 'rolling-back', 'unchanged');
  const tables: RollbackTable[] = [];
  for (const w of work) {
    if (w.done) {
      tables.push({
        target: w.target,
        rowsDeleted: 0,
        rowsRestored: 0,
        changed: 0,
        changedKeys: [],
        alreadyDone: true,
        dropped: false,
        keptBecause: null,
      });
      continue;
    }
    tables.push(await rollbackTable(client, run.run_id, schema, w, opts));
  }
  const files = await restoreArchivedFiles(client, run.run_id, run.data_dir);
  await setRunState(client, run.run_id, 'rolled-back', 'unchanged');
  const deleted = tables.reduce((n, t) => n + t.rowsDeleted, 0);
  const restored = tables.reduce((n, t) => n + t.rowsRestored, 0);
  const forced = tables.reduce((n, t) => n + t.changed, 0);
  return report(
    'rolled-back',
    tables,
    files,
    `run ${run.run_id} rolled back: ${deleted} row(s) deleted, ${restored} restored to their state before the run${forced > 0 ? `, ${forced} changed since the run rolled back anyway (--force)` : ''}${files.restored.length > 0 ? `; ${files.restored.length} archived file(s) moved back` : ''}`,
  );
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

async function tablesOf(client: pg.Client, runId: string, mappings: MappingSet): Promise<TableWork[]> {
  return (await runTargetTables(client, runId)).map((x) => {
    const spec = mappings.bySource.get(x.sourceTable)?.table;
    if (spec === undefined) {
      throw new ConfigError(
        'ROLLBACK_NO_MAPPING',
        `run ${runId} loaded ${x.target} from ${x.sourceTable}, which the mapping set in use does not map`,
      );
    }
    const keyColumns = spec.key.map((k) => spec.columns.find((c) => c.name === k)?.target ?? k);
    return {
      target: x.target,
      keyColumns,
      done: x.done,
      created: x.created,
      appModule: mappings.bySource.get(x.sourceTable)?.store.appModule ?? null,
    };
  });
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
  client: pg.Client,
  schema: string,
  w: TableWork,
): Promise<{ k: string; deleted: boolean }[]> {
  const out: { k: string; deleted: boolean }[] = [];
  for (const fk of await referencingKeys(client, schema, w.target)) {
    const on = fk.columns
      .map((c, i) => `c.${quoteIdent(c)} = t.${quoteIdent(fk.parentColumns[i] as string)}`)
      .join(' AND ');
    const r = await client.query<{ k: string }>(
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

/** SQL true when target row `t` has the ledger key text `keyExpr` (src/util/keys.ts formatKey). */
function keyMatch(keyColumns: readonly string[], keyExpr: string): string {
  if (keyColumns.length === 1) return `t.${quoteIdent(keyColumns[0] as string)}::text = ${keyExpr}`;
  // A composite key is a JSON array of texts; anything else (a `rowid:` handle) matches no row.
  const parts = `(CASE WHEN left(${keyExpr}, 1) = '[' THEN ${keyExpr}::jsonb END)`;
  return keyColumns.map((k, i) => `t.${quoteIdent(k)}::text = (${parts} ->> ${i})`).join(' AND ');
}

/**
 * Rows the run wrote (inserted or resolved, staged by stageRunChanges in src/ledger/rollbacks.ts) that
 * someone changed or deleted since: their xmin is none of the tool's own.
 */
async function queryChanged(
  client: pg.Client,
  table: string,
  keyColumns: readonly string[],
): Promise<{ k: string; deleted: boolean }[]> {
  const r = await client.query<{ k: string; deleted: boolean }>(
    `SELECT x.k, t.xmin IS NULL AS deleted
       FROM (SELECT k FROM rb_ins UNION ALL SELECT row_key FROM rb_res) AS x
       LEFT JOIN ${table} AS t ON ${keyMatch(keyColumns, 'x.k')}
      WHERE t.xmin IS NULL OR t.xmin::text NOT IN (SELECT x FROM rb_xid)
      ORDER BY x.k`,
  );
  return r.rows;
}

/**
 * The check before anything changes. Its transaction writes only the staged
 * temp tables, which go when it ends (src/ledger/rollbacks.ts), so it leaves
 * nothing behind.
 */
async function changedRows(
  client: pg.Client,
  runId: string,
  schema: string,
  w: TableWork,
  maxKeys: number,
): Promise<{ changed: number; keys: string[] }> {
  return withTransaction(client, async (tx) => {
    await stageRunChanges(tx, runId, w.target);
    const rows = [
      ...(await queryChanged(tx, qualified(schema, w.target), w.keyColumns)),
      ...(await dependentRows(tx, schema, w)),
    ];
    return { changed: rows.length, keys: rows.slice(0, maxKeys).map((x) => (x.deleted ? `${x.k} (deleted)` : x.k)) };
  });
}

/**
 * Why an empty table the run created stays: a table outside the rollback
 * references it (dropping it would drop that key), or the application's store
 * has recorded its schema in `_schema_versions` since, and would never create
 * the table again (it skips its schema once its version is recorded).
 */
async function keepReason(client: pg.Client, schema: string, w: TableWork): Promise<string | null> {
  const refs = await referencingKeys(client, schema, w.target);
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

/**
 * One target table, in one transaction: re-check, delete what the run
 * inserted, restore what it changed, drop the table if the run created it and
 * it is left empty, and record it as done.
 */
async function rollbackTable(
  client: pg.Client,
  runId: string,
  schema: string,
  w: TableWork,
  opts: RollbackOptions,
): Promise<RollbackTable> {
  const table = qualified(schema, w.target);
  return withTransaction(client, async (tx) => {
    // Re-checked inside the transaction: the application may have written since the check.
    await tx.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
    await stageRunChanges(tx, runId, w.target);
    const changed = [...(await queryChanged(tx, table, w.keyColumns)), ...(await dependentRows(tx, schema, w))];
    if (changed.length > 0 && !opts.force) {
      throw new MigrateError(
        'ROLLBACK_ROWS_CHANGED',
        `${changed.length} row(s) of ${w.target} written by run ${runId} changed while the rollback ran: ${changed
          .slice(0, opts.maxKeys)
          .map((x) => x.k)
          .join(', ')}`,
      );
    }
    const deleted =
      (await tx.query(`DELETE FROM ${table} AS t USING rb_ins AS x WHERE ${keyMatch(w.keyColumns, 'x.k')}`)).rowCount
      ?? 0;
    const restored = await restoreChangedRows(tx, table, w);
    const { dropped, keptBecause } = w.created
      ? await dropIfEmpty(tx, runId, schema, w)
      : { dropped: false, keptBecause: null };
    await recordRollbackOfTable(tx, {
      runId,
      target: w.target,
      rowsDeleted: deleted,
      rowsRestored: restored,
      forcedKeys: changed.map((x) => x.k),
    });
    return {
      target: w.target,
      rowsDeleted: deleted,
      rowsRestored: restored,
      changed: changed.length,
      changedKeys: changed.slice(0, opts.maxKeys).map((x) => x.k),
      alreadyDone: false,
      dropped,
      keptBecause,
    };
  });
}

/** The rows the run changed (staged in rb_res) get their values from before the run back; returns how many. */
async function restoreChangedRows(tx: pg.Client, table: string, w: TableWork): Promise<number> {
  const cols = (
    await tx.query<{ c: string }>(
      `SELECT attname AS c FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [table],
    )
  ).rows
    .map((x) => x.c)
    .filter((c) => !w.keyColumns.includes(c));
  if (cols.length === 0) return 0;
  // A column added after the run is missing from the row before: it keeps its value.
  const sets = cols.map(
    (c) =>
      `${quoteIdent(c)} = CASE WHEN r.before_row ? ${quoteLiteral(c)} THEN (jsonb_populate_record(NULL::${table}, r.before_row)).${quoteIdent(c)} ELSE t.${quoteIdent(c)} END`,
  );
  return (
    (
      await tx.query(
        `UPDATE ${table} AS t SET ${sets.join(', ')} FROM rb_res AS r WHERE ${keyMatch(w.keyColumns, 'r.row_key')}`,
      )
    ).rowCount ?? 0
  );
}

/** A table the run created goes again once empty, unless another run wrote into it or keepReason says why it stays. */
async function dropIfEmpty(
  tx: pg.Client,
  runId: string,
  schema: string,
  w: TableWork,
): Promise<{ dropped: boolean; keptBecause: string | null }> {
  const table = qualified(schema, w.target);
  const left = await tx.query(`SELECT 1 FROM ${table} LIMIT 1`);
  const usedByOthers = await otherRunsWroteTable(tx, w.target, runId);
  if (left.rowCount !== 0 || usedByOthers) return { dropped: false, keptBecause: null };
  const keptBecause = await keepReason(tx, schema, w);
  if (keptBecause !== null) return { dropped: false, keptBecause };
  await tx.query(`DROP TABLE ${table}`);
  return { dropped: true, keptBecause: null };
}
