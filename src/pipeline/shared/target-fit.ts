import type Database from 'better-sqlite3';
import { quoteSqliteIdent } from '../../source/quote.js';
import type { ErrorCode } from '../../errors.js';
import type { ColumnSpec, TableSpec } from '../../mapping/schema.js';
import { formatKey } from '../../util/keys.js';
import type { ColumnWidening } from '../../target/target-ddl.js';
import { columnFit, type TargetTableState } from '../../target/target-state.js';
import { rowidOf } from '../../source/rowid.js';

/**
 * Loading into a table that already exists (the application created it, or an
 * earlier run): its columns are judged by the values they are to hold, not by
 * their declared types. An `integer` column takes 64-bit source integers when
 * every one fits; a `real` column takes 8-byte floats rounded to float4, each
 * rounding a precision_loss repair with its original in the ledger. A value a
 * column cannot hold at all refuses the run, in plan as in migrate, unless
 * --widen-columns: then the column is altered to bigint or double precision
 * first (a rewrite of the table under an exclusive lock), and the change is
 * recorded in the ledger.
 */

export interface ValuesOutOfReach {
  readonly count: number;
  /** Up to 5, in the form of formatKey (src/util/keys.ts). */
  readonly keys: readonly string[];
}

/** What refuses the run against this table: the same code in plan's findings and in migrate's error. */
export interface TargetProblem {
  readonly code: Extract<ErrorCode, 'TARGET_INCOMPATIBLE' | 'TARGET_COLUMN_TOO_NARROW'>;
  /** Source column name. */
  readonly column: string;
  readonly message: string;
  readonly count: number;
  readonly keys: readonly string[];
}

export interface ColumnJudgement {
  readonly widen: readonly ColumnWidening[];
  readonly problems: readonly TargetProblem[];
  /** Source columns loaded into a `real` column as they are (rounded): each rounding a precision_loss repair. */
  readonly rounded: readonly string[];
}

const targetName = (c: ColumnSpec): string => c.target ?? c.name;

/** 2^128 - 2^103, halfway between float4's largest finite value and 2^128: Math.fround rounds from here to Infinity. */
const FLOAT4_OVERFLOW = '3.4028235677973366e38';

/** What the source holds for the columns that load into an existing `integer` or `real` column. */
export interface NarrowColumnValues {
  /** Per source column: the values that column cannot hold (outside int4; finite but past float4's range). */
  readonly outOfReach: ReadonlyMap<string, ValuesOutOfReach>;
  /** Source columns feeding a `real` column that hold at least one value (the ones --widen-columns widens). */
  readonly valued: ReadonlySet<string>;
}

/**
 * One pass of SQLite over the table, whatever the number of columns; none at
 * all when no column is narrow.
 */
export function narrowColumnValues(
  db: Database.Database,
  spec: TableSpec,
  state: TargetTableState,
  sourceColumns: ReadonlySet<string>,
): NarrowColumnValues {
  const outOfReach = new Map<string, ValuesOutOfReach>();
  const valued = new Set<string>();
  if (!state.exists) return { outOfReach, valued };
  const q = quoteSqliteIdent;
  const checks: { column: string; cond: string; float4: boolean }[] = [];
  for (const c of spec.columns) {
    const theirs = state.columns.get(targetName(c));
    if (c.targetOnly || theirs === undefined || !sourceColumns.has(c.name)) continue;
    const fit = columnFit(c.type, theirs);
    if (fit === 'int4')
      checks.push({
        column: c.name,
        float4: false,
        cond: `(typeof(${q(c.name)}) = 'integer' AND (${q(c.name)} > 2147483647 OR ${q(c.name)} < -2147483648))`,
      });
    // An infinite REAL stays Infinity, which float4 holds too.
    if (fit === 'float4')
      checks.push({
        column: c.name,
        float4: true,
        cond: `(typeof(${q(c.name)}) = 'real' AND abs(${q(c.name)}) >= ${FLOAT4_OVERFLOW} AND abs(${q(c.name)}) < 9e999)`,
      });
  }
  if (checks.length === 0) return { outOfReach, valued };
  const aggregates = checks.flatMap((c) => [`sum(${c.cond})`, `count(${q(c.column)})`]);
  const counts = db
    .prepare(`SELECT ${aggregates.join(', ')} FROM ${q(spec.source)}`)
    .raw(true)
    .get() as (bigint | number | null)[];
  const keyColumns = spec.key.filter((k) => sourceColumns.has(k));
  checks.forEach((check, i) => {
    if (check.float4 && Number(counts[2 * i + 1] ?? 0) > 0) valued.add(check.column);
    const count = Number(counts[2 * i] ?? 0);
    if (count === 0) return;
    const rows = db
      .prepare(
        `SELECT ${rowidOf(db, spec.source)}, ${keyColumns.map(q).join(', ') || 'NULL'} FROM ${q(spec.source)} WHERE ${check.cond} LIMIT 5`,
      )
      .raw(true)
      .all() as unknown[][];
    outOfReach.set(check.column, {
      count,
      keys: rows.map((r) => formatKey(keyColumns.length === 0 ? [] : r.slice(1), r[0] as bigint)),
    });
  });
  return { outOfReach, valued };
}

const INTEGER_TYPES: ReadonlySet<string> = new Set(['smallint', 'integer', 'bigint']);

/**
 * What loading `spec` into the existing table needs: the columns to widen
 * (only with `widen`), and what refuses the run. A column the table lacks is
 * added, never judged; a column the mapping does not load (targetOnly, an
 * application column with no source) keeps its type and its default.
 */
export function judgeColumns(
  spec: TableSpec,
  state: TargetTableState,
  values: NarrowColumnValues,
  widen: boolean,
  sourceColumns: ReadonlySet<string>,
): ColumnJudgement {
  const widenings: ColumnWidening[] = [];
  const problems: TargetProblem[] = [];
  const rounded: string[] = [];
  if (!state.exists) return { widen: widenings, problems, rounded };
  for (const c of spec.columns) {
    const name = targetName(c);
    const theirs = state.columns.get(name);
    // The surrogate takes new ids from the table's sequence (src/pipeline/migrate/load-table.ts):
    // a column of another type (a file's own column named sqlite_rowid, say) stopped the load
    // on the SQL that finds the next id (exit 1).
    if (c.name === spec.surrogateKey && theirs !== undefined && !INTEGER_TYPES.has(theirs)) {
      problems.push({
        code: 'TARGET_INCOMPATIBLE',
        column: c.name,
        count: 1,
        keys: [],
        message: `${spec.target}.${name} is ${theirs}; the mapping gives its rows ids from a sequence, which needs an integer column`,
      });
      continue;
    }
    const loaded =
      !c.targetOnly && (sourceColumns.has(c.name) || c.whenMissing !== undefined || c.fromJson !== undefined);
    if (theirs === undefined || !loaded) continue;
    const fit = columnFit(c.type, theirs);
    const reach = values.outOfReach.get(c.name);
    const where = `${spec.target}.${name}`;
    if (fit === 'incompatible') {
      problems.push({
        code: 'TARGET_INCOMPATIBLE',
        column: c.name,
        count: 1,
        keys: [],
        message: `${where} is ${theirs}; the mapping writes ${c.type}`,
      });
    } else if (fit === 'int4' && reach !== undefined) {
      if (widen) widenings.push({ table: spec.target, column: name, from: theirs, to: 'bigint' });
      else
        problems.push({
          code: 'TARGET_COLUMN_TOO_NARROW',
          column: c.name,
          count: reach.count,
          keys: reach.keys,
          message: `${where} is integer; ${reach.count} source value(s) do not fit in it`,
        });
    } else if (fit === 'float4') {
      // With --widen-columns every real column that takes source values is widened: no digit is rounded.
      if (widen && values.valued.has(c.name))
        widenings.push({ table: spec.target, column: name, from: theirs, to: 'double precision' });
      else if (reach !== undefined)
        problems.push({
          code: 'TARGET_COLUMN_TOO_NARROW',
          column: c.name,
          count: reach.count,
          keys: reach.keys,
          message: `${where} is real (float4); ${reach.count} source value(s) are beyond its range`,
        });
      else if (sourceColumns.has(c.name)) rounded.push(c.name);
    }
  }
  // A NOT NULL column no row names and the table cannot fill: every COPY would fail.
  const written = new Set(spec.columns.filter((c) => !c.targetOnly).map(targetName));
  for (const [name, theirs] of state.columns) {
    if (written.has(name) || !state.notNull.has(name) || state.selfFilled.has(name)) continue;
    problems.push({
      code: 'TARGET_INCOMPATIBLE',
      column: name,
      count: 1,
      keys: [],
      message: `${spec.target}.${name} (${theirs}) is NOT NULL with no default, and the source has no value for it`,
    });
  }
  return { widen: widenings, problems, rounded };
}

/**
 * The spec as the existing table takes it: a column loaded into `real` or
 * `integer` gets that type (the converters then round to float4, and check
 * int4's range), and NULL is refused where the table declares NOT NULL. A
 * table that does not exist yet is created from the spec as it is.
 */
export function fitSpec(spec: TableSpec, state: TargetTableState): TableSpec {
  if (!state.exists) return spec;
  let changed = false;
  const columns = spec.columns.map((c): ColumnSpec => {
    const theirs = state.columns.get(targetName(c));
    if (c.targetOnly) return c;
    // A column the run adds accepts NULL (ADD COLUMN declares no NOT NULL).
    const nullable = theirs === undefined ? true : !state.notNull.has(targetName(c));
    const fit = theirs === undefined ? 'ok' : columnFit(c.type, theirs);
    const type = fit === 'float4' ? 'real' : fit === 'int4' ? 'integer' : c.type;
    if (type === c.type && nullable === c.nullable) return c;
    changed = true;
    return { ...c, type, nullable };
  });
  return changed ? { ...spec, columns } : spec;
}

/** The state after the widenings: the columns hold their new types. */
export function widened(state: TargetTableState, widenings: readonly ColumnWidening[]): TargetTableState {
  if (widenings.length === 0) return state;
  const columns = new Map(state.columns);
  for (const w of widenings) columns.set(w.column, w.to);
  return { ...state, columns };
}

/** The tasks feeding one target table, judged together: the table is widened once for all of them. */
export function judgeGroup(
  tasks: readonly {
    readonly spec: TableSpec;
    readonly snapshot: { readonly db: Database.Database };
    readonly file: {
      readonly objects: readonly { readonly name: string; readonly columns: readonly { readonly name: string }[] }[];
    };
  }[],
  union: TableSpec,
  state: TargetTableState,
  widen: boolean,
): ColumnJudgement {
  const outOfReach = new Map<string, ValuesOutOfReach>();
  const valued = new Set<string>();
  const present = new Set<string>();
  for (const t of tasks) {
    const cols = new Set(t.file.objects.find((o) => o.name === t.spec.source)?.columns.map((c) => c.name) ?? []);
    for (const c of cols) present.add(c);
    const found = narrowColumnValues(t.snapshot.db, t.spec, state, cols);
    for (const c of found.valued) valued.add(c);
    for (const [column, r] of found.outOfReach) {
      const seen = outOfReach.get(column);
      outOfReach.set(
        column,
        seen === undefined ? r : { count: seen.count + r.count, keys: [...seen.keys, ...r.keys].slice(0, 5) },
      );
    }
  }
  return judgeColumns(union, state, { outOfReach, valued }, widen, present);
}
