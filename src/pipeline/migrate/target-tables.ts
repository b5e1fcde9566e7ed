import type pg from 'pg';
import { TargetError, type ErrorCode } from '../../errors.js';
import { recordCreatedTable } from '../../ledger/created-tables.js';
import { recordSchemaChange, type SchemaChangeDetail, type SchemaChangeKind } from '../../ledger/schema-changes.js';
import type { MappingSet } from '../../mapping/load.js';
import type { TableSpec } from '../../mapping/schema.js';
import {
  appForeignKeys,
  createIndexSql,
  ensureForeignKey,
  prepareTargetTable,
  type ColumnWidening,
} from '../../target/target-ddl.js';
import { inspectTarget, MISSING_TABLE, takenNames, type TargetTableState } from '../../target/target-state.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import { MAX_TABLE_COLUMNS, tooLongNames, tooManyColumns, unionSpecs } from '../shared/effective-spec.js';
import { judgeGroup, widened } from '../shared/target-fit.js';
import { parentTables, type Task } from '../shared/tasks.js';
import { targetName } from '../../mapping/target-name.js';

/** A target table, judged fit for the rows its source tables bring: as it is, and the widenings it gets. */
export interface JudgedTarget {
  /** What the source tables feeding it need, together. */
  readonly spec: TableSpec;
  readonly state: TargetTableState;
  readonly widen: readonly ColumnWidening[];
}

/**
 * Existing target tables are judged by the values they are to hold, every
 * table at once, before a run is created or resumed: a refusal leaves nothing
 * behind and names every column (src/pipeline/shared/target-fit.ts).
 */
export async function judgeTargets(
  client: pg.Client,
  schema: string,
  byTarget: ReadonlyMap<string, readonly Task[]>,
  widenColumns: boolean,
): Promise<Map<string, JudgedTarget>> {
  const states = await inspectTarget(client, schema, [...byTarget.keys()]);
  const judged = new Map<string, JudgedTarget>();
  const problems: { code: ErrorCode; message: string }[] = [];
  for (const [name, holder] of await takenNames(client, schema, [...byTarget.keys()]))
    problems.push({ code: 'TARGET_NAME_TAKEN', message: `${qualified(schema, name)} is ${holder}, not a table` });
  for (const [target, group] of byTarget) {
    const spec = unionSpecs(group.map((g) => g.spec));
    const columns = tooManyColumns(spec, states.get(target)?.columns.keys());
    if (columns !== null)
      problems.push({
        code: 'TARGET_TOO_MANY_COLUMNS',
        message: `${target} would have ${columns} columns; a PostgreSQL table holds at most ${MAX_TABLE_COLUMNS}`,
      });
    for (const name of tooLongNames(spec))
      problems.push({
        code: 'TARGET_IDENTIFIER_TOO_LONG',
        message: `${target}.${name} is ${Buffer.byteLength(name, 'utf8')} bytes; PostgreSQL cuts names at 63`,
      });
    const state = states.get(target) ?? MISSING_TABLE;
    const j = judgeGroup(group, spec, state, widenColumns);
    for (const p of j.problems)
      problems.push({
        code: p.code,
        message: `${p.message}${p.keys.length > 0 ? ` (e.g. ${p.keys.join(', ')})` : ''}`,
      });
    judged.set(target, { spec, state, widen: j.widen });
  }
  const first = problems[0];
  if (first !== undefined) {
    // One error for all, with the first problem's code (plan gives each its own).
    throw new TargetError(
      first.code,
      `the target tables cannot take the source as it is:\n  ${problems.map((p) => p.message).join('\n  ')}`,
    );
  }
  return judged;
}

/**
 * The tables the run creates without their keys, which the load adds once
 * their rows are in (src/pipeline/migrate/load-tables.ts): those one source
 * table fills, straight through COPY into the empty table. Not a table fed by
 * several (the second merges through the stage, on the key), nor one in a
 * circle of foreign keys with another (that one may finish first, and its key
 * to this table needs this table's key).
 */
export function keysAfterLoad(
  judged: ReadonlyMap<string, JudgedTarget>,
  byTarget: ReadonlyMap<string, readonly Task[]>,
  mappings: MappingSet,
): Set<string> {
  const parentsOf = parentTables(byTarget, (_target, spec) => appForeignKeys(spec, mappings.bySource));
  // Whether `to` is among the tables `from` references, directly or through others.
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
    [...(parentsOf.get(from) ?? [])].some((p) => {
      if (p === to) return true;
      if (seen.has(p)) return false;
      seen.add(p);
      return reaches(p, to, seen);
    });
  return new Set(
    [...judged]
      .filter(([target, j]) => !j.state.exists && byTarget.get(target)?.length === 1 && !reaches(target, target))
      .map(([target]) => target),
  );
}

/**
 * Target tables: created (with their triggers), or widened and completed,
 * before a single row moves, each change recorded in the ledger. Returns each
 * table as it now is: every task then converts for the table as it is (float4
 * rounding, int4 bounds, its NOT NULL columns). The tables in `keysLater` are
 * created without their keys (keysAfterLoad).
 */
export async function prepareTargets(
  client: pg.Client,
  schema: string,
  runId: string,
  judged: ReadonlyMap<string, JudgedTarget>,
  keysLater: ReadonlySet<string> = new Set(),
): Promise<Map<string, TargetTableState>> {
  const ready = new Map<string, TargetTableState>();
  for (const [target, j] of judged) {
    const prepared = await prepareTargetTable(client, schema, j.spec, j.state, j.widen, keysLater.has(target));
    if (prepared.created) await recordCreatedTable(client, runId, target);
    const changes: (readonly [SchemaChangeKind, string, SchemaChangeDetail])[] = [
      ...prepared.widened.map(
        (w) =>
          ['widen_column', w.column, { from: w.from, to: w.to, rows: j.state.rows, bytes: j.state.bytes }] as const,
      ),
      ...prepared.addedColumns.map((c) => ['add_column', c, {}] as const),
      ...(prepared.created ? [] : prepared.addedTriggers.map((t) => ['add_trigger', t, {}] as const)),
    ];
    for (const [kind, object, detail] of changes) await recordSchemaChange(client, runId, target, kind, object, detail);
    ready.set(target, widened(j.state, j.widen));
  }
  return ready;
}

/**
 * After the load: identity sequences past the loaded ids, the secondary
 * indexes, then the application's foreign keys (NOT VALID where orphans are
 * kept). Idempotent, so the final pass over every target also finishes a
 * table whose load ended in an earlier, killed process.
 */
export async function finishTargets(
  client: pg.Client,
  schema: string,
  runId: string,
  byTarget: ReadonlyMap<string, readonly Task[]>,
  mappings: MappingSet,
): Promise<void> {
  for (const [target, group] of byTarget) await finishTarget(client, schema, runId, target, group, mappings);
}

/**
 * One target's finish (finishTargets). `buildIndexes` runs the index builds:
 * one after another on `client` by default; the load spreads them over its
 * free connections (src/pipeline/migrate/group-queue.ts).
 */
export async function finishTarget(
  client: pg.Client,
  schema: string,
  runId: string,
  target: string,
  group: readonly Task[],
  mappings: MappingSet,
  buildIndexes: (statements: readonly string[]) => Promise<void> = async (statements) => {
    for (const sql of statements) await client.query(sql);
  },
): Promise<void> {
  if (group.length === 0) return;
  const spec = unionSpecs(group.map((g) => g.spec));
  if (spec.surrogateKey !== undefined) {
    const col = targetName(spec, spec.surrogateKey);
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT COALESCE(max(${quoteIdent(col)}), 0) FROM ${qualified(schema, target)}), 1))`,
      [`${quoteIdent(schema)}.${quoteIdent(target)}`, col],
    );
  }
  await buildIndexes(createIndexSql(schema, spec));
  for (const fk of appForeignKeys(spec, mappings.bySource)) {
    const added = await ensureForeignKey(client, schema, fk);
    if (added !== null)
      await recordSchemaChange(client, runId, target, 'add_foreign_key', added.name, {
        parent: added.parent,
        orphans: added.orphans,
        validated: added.validated,
      });
  }
}
