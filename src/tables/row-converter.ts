import type { ColumnSpec, ConverterName, TableSpec, TargetType } from '../mapping/schema.js';
import type { FindingKind } from '../findings/finding.js';
import { formatKey } from '../util/keys.js';
import { targetKey } from './target-key.js';
import { DEFAULT_POLICY, makeConverter, type ValueConverter } from './converters.js';
import type { OffsetFn } from './timestamp.js';
import { REJECT, type IssueSink, type RawTextFetcher, type SourceValue, type TargetValue } from './value.js';

/** The converter a target type gets when the mapping names none. */
export const DEFAULT_CONVERTER: Readonly<Record<TargetType, ConverterName>> = {
  text: 'text',
  bigint: 'integer',
  integer: 'integer',
  'double precision': 'float',
  real: 'float',
  numeric: 'numeric',
  boolean: 'boolean',
  timestamptz: 'timestamp',
  jsonb: 'json',
  bytea: 'blob',
  // Never read from SQLite (targetOnly only, src/mapping/rules.ts).
  tsvector: 'text',
};

export interface RepairRecord {
  readonly column: string;
  readonly kind: FindingKind;
  readonly message: string;
  readonly original: SourceValue;
}

export interface RejectRecord {
  readonly column: string | null;
  readonly kind: FindingKind;
  readonly message: string;
}

export interface RowOutcome {
  /** One value per `targetColumns` entry; empty when rejected. */
  readonly values: TargetValue[];
  readonly repairs: readonly RepairRecord[];
  readonly reject: RejectRecord | null;
}

export interface CompiledTable {
  readonly spec: TableSpec;
  /** Source columns to SELECT, after `rowid`, in this order. */
  readonly selectColumns: readonly string[];
  /** Target column names, in the order of `RowOutcome.values`. */
  readonly targetColumns: readonly string[];
  /** Mapped columns the source table lacks and that get their `whenMissing` value. */
  readonly missingColumns: readonly ColumnSpec[];
  /** Mapped columns the source table lacks with no `whenMissing`: the table cannot be loaded. */
  readonly unsatisfiedColumns: readonly ColumnSpec[];
  /** Source columns the mapping does not name. */
  readonly unmappedColumns: readonly string[];
  /**
   * Columns (indexes into selectColumns) a huge value of which may be read in
   * slices (ReadOptions.sliceable, src/source/read.ts): their converter passes
   * text or bytes on as they are, and no key, foreign key or JSON-derived
   * column needs the value whole.
   */
  readonly sliceable: readonly number[];
  /** `raw` is `[rowid, ...selectColumns]` as better-sqlite3 returns it in raw mode. */
  convertRow(raw: readonly SourceValue[]): RowOutcome;
  /**
   * The row's key: with `values` (the row converted, convertRow's values), as
   * the ledger records a loaded row (targetKey, src/tables/target-key.ts); without,
   * the label of the source row (formatKey), for a row that did not convert.
   */
  keyOf(raw: readonly SourceValue[], values?: readonly TargetValue[]): string;
  /**
   * Whether a converted row's key loads as SQLite holds it: every part a
   * text, valid UTF-8, that conversion left as it is. Two such rows share a
   * key in PostgreSQL only if they share it in SQLite.
   */
  keyAsStored(raw: readonly SourceValue[], out: RowOutcome): boolean;
  /**
   * One value of a column read from SQLite (by target name), as convertRow
   * gives it; undefined when the value would reject its row, or the column is
   * not read.
   */
  convertValue(target: string, v: SourceValue): TargetValue | undefined;
}

/**
 * Rows whose foreign key points to no row of the referenced table in the
 * target, which declares the key (the application's table, or one an earlier
 * run gave the key): such a row cannot load, so it is rejected losslessly.
 */
export interface OrphanFilter {
  /** The constraint, for the message. */
  readonly constraint: string;
  /** Target column names of the key, in key order. */
  readonly columns: readonly string[];
  readonly parent: string;
  /** Missing key values in target text form: the value itself for one column, a JSON array of them for several. */
  readonly missing: readonly string[];
}

/**
 * The largest b-tree entry PostgreSQL stores on its 8 kB pages (BTMaxItemSize
 * of its nbtree.h), entry header included. A longer key fails the load
 * ("index row size … exceeds btree version 4 maximum 2704") unless the
 * server's compression of the value brings it under.
 */
export const INDEX_ENTRY_MAX = 2704;

/**
 * Rows whose key no index entry of the target can hold
 * (src/pipeline/shared/oversized-keys.ts): the table, with that index, cannot
 * store them, so they are rejected losslessly.
 */
export interface OversizedKeys {
  /** The index, for the message: `the primary key (id)`, `UNIQUE (a, b)`, `index idx_x (a)`. */
  readonly constraint: string;
  /** Target column names of the key. */
  readonly columns: readonly string[];
  readonly rowids: readonly bigint[];
}

export interface CompileOptions {
  readonly offsetOf: OffsetFn;
  readonly fetchRaw: RawTextFetcher;
  readonly orphans?: readonly OrphanFilter[];
  readonly oversizedKeys?: readonly OversizedKeys[];
}

/** Converters that pass a huge value on in slices (src/tables/converters.ts). */
const SLICEABLE: ReadonlySet<ConverterName> = new Set(['text', 'verbatim', 'blob']);

/** Target text form of a `whenMissing` literal. */
function literal(value: string | number | boolean | null): TargetValue {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

/** Names SQLite answers with a rowid table's row id, unless a column of the table takes the name (src/source/rowid.ts). */
export const ROWID_ALIASES: readonly string[] = ['rowid', '_rowid_', 'oid'];

/**
 * The columns the table gives the spec: its own, and the rowid when the spec's
 * surrogate key names it by an alias no column shadows (a table without a
 * primary key, src/source/auto-mapping.ts). Only then: a mapped column that happens
 * to be called `oid` and is missing from an older file stays missing.
 */
export function selectableColumns(
  sourceColumns: readonly string[],
  spec: Pick<TableSpec, 'surrogateKey'>,
): Set<string> {
  const own = new Set(sourceColumns.map((c) => c.toLowerCase()));
  const rowid = spec.surrogateKey;
  return new Set(
    rowid !== undefined && ROWID_ALIASES.includes(rowid) && !own.has(rowid) ? [...sourceColumns, rowid] : sourceColumns,
  );
}

/**
 * Whether the source's columns give `col` a value: it is read, or the mapping
 * says what a missing one gets (a constant, or a key of a JSON column read).
 */
export function columnSatisfied(col: ColumnSpec, present: ReadonlySet<string>): boolean {
  return (
    col.targetOnly
    || present.has(col.name)
    || col.whenMissing !== undefined
    || (col.fromJson !== undefined && present.has(col.fromJson.column))
  );
}

/** A JSON scalar in the target text form of `col`'s type; undefined when the type does not take it. */
function jsonScalar(x: unknown, col: ColumnSpec): TargetValue | undefined {
  switch (col.type) {
    case 'text':
      return typeof x === 'string' ? x : undefined;
    case 'boolean':
      return typeof x === 'boolean' ? (x ? 't' : 'f') : undefined;
    case 'bigint':
    case 'integer':
      return typeof x === 'number' && Number.isSafeInteger(x) && (col.type === 'bigint' || Math.abs(x) <= 2147483647)
        ? String(x)
        : undefined;
    case 'double precision':
    case 'numeric':
      return typeof x === 'number' ? String(x) : undefined;
    case 'real':
      return typeof x === 'number' && Math.fround(x) === x ? String(x) : undefined;
    default:
      return undefined;
  }
}

export function compileTable(spec: TableSpec, sourceColumns: readonly string[], opts: CompileOptions): CompiledTable {
  const present = selectableColumns(sourceColumns, spec);
  const mapped = spec.columns.filter((c) => !c.targetOnly);
  const selectColumns = mapped.filter((c) => present.has(c.name)).map((c) => c.name);
  const derivedFromJson = (c: ColumnSpec): boolean =>
    !present.has(c.name) && c.fromJson !== undefined && present.has(c.fromJson.column);
  const missingColumns = mapped.filter(
    (c) => !present.has(c.name) && !derivedFromJson(c) && c.whenMissing !== undefined,
  );
  const unsatisfiedColumns = mapped.filter((c) => !columnSatisfied(c, present));
  const mappedNames = new Set(mapped.map((c) => c.name));
  const unmappedColumns = sourceColumns.filter((c) => !mappedNames.has(c));

  const indexOf = new Map(selectColumns.map((name, i) => [name, i + 1] as const));
  const keyIdx = spec.key.map((k) => indexOf.get(k) ?? -1);
  // A NULL can only be refused where the target's primary key needs a value;
  // a nullable natural key (matches.debate_id, UNIQUE) holds NULLs that never collide.
  const pk = spec.primaryKey ?? spec.key;
  const pkIdx = pk.map((k) => indexOf.get(k) ?? -1);

  type Slot =
    | { target: string; column: string; idx: number; convert: ValueConverter }
    | { target: string; column: string; constant: TargetValue }
    | { target: string; column: string; json: number; key: string; spec: ColumnSpec; otherwise: TargetValue };
  const slots: Slot[] = [];
  for (const col of mapped) {
    const target = col.target ?? col.name;
    const idx = indexOf.get(col.name);
    if (idx === undefined) {
      if (col.whenMissing !== undefined && !derivedFromJson(col))
        slots.push({ target, column: col.name, constant: literal(col.whenMissing) });
      continue;
    }
    const convert = makeConverter(col.convert ?? DEFAULT_CONVERTER[col.type], {
      column: col.name,
      policy: { ...DEFAULT_POLICY, ...col.policy },
      offsetOf: opts.offsetOf,
      fetchRaw: opts.fetchRaw,
      int32: col.type === 'integer',
      float4: col.type === 'real',
    });
    slots.push({ target, column: col.name, idx, convert });
  }
  // Filled from a JSON column once that column's value is converted (repaired JSON included).
  for (const col of mapped.filter(derivedFromJson)) {
    const json = slots.findIndex((s) => 'idx' in s && s.column === col.fromJson?.column);
    slots.push({
      target: col.target ?? col.name,
      column: col.name,
      json,
      key: col.fromJson?.key ?? '',
      spec: col,
      otherwise: col.whenMissing === undefined ? null : literal(col.whenMissing),
    });
  }
  const slotOf = new Map(slots.map((s, i) => [s.target, i] as const));
  const wholeNeeded = new Set([
    ...spec.key,
    ...pk,
    ...mapped.flatMap((c) => (c.fromJson === undefined ? [] : [c.fromJson.column])),
    ...(opts.orphans ?? []).flatMap((o) =>
      o.columns.map((t) => mapped.find((c) => (c.target ?? c.name) === t)?.name ?? t),
    ),
  ]);
  const sliceable = mapped.flatMap((c) => {
    const converter = c.convert ?? DEFAULT_CONVERTER[c.type];
    const i = selectColumns.indexOf(c.name);
    return i >= 0 && SLICEABLE.has(converter) && !wholeNeeded.has(c.name) ? [i] : [];
  });
  // NOT NULL columns other than the primary key (checked first, as null_key).
  const notNull = slots
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => !pk.includes(s.column) && spec.columns.find((c) => c.name === s.column)?.nullable === false);
  const orphanChecks = (opts.orphans ?? [])
    .map((o) => ({ ...o, idx: o.columns.map((c) => slotOf.get(c) ?? -1), set: new Set(o.missing) }))
    .filter((o) => o.set.size > 0 && o.idx.every((i) => i >= 0));
  const oversized = new Map<bigint, OversizedKeys>();
  for (const o of opts.oversizedKeys ?? []) for (const r of o.rowids) if (!oversized.has(r)) oversized.set(r, o);
  const keySlot = spec.key.map((k) => slots.findIndex((s) => s.column === k));
  const keyOf = (raw: readonly SourceValue[], values?: readonly TargetValue[]): string =>
    values === undefined || values.length === 0
      ? formatKey(
          keyIdx.map((i) => (i < 0 ? null : raw[i])),
          raw[0] as bigint,
        )
      : targetKey(
          keySlot.map((i) => (i < 0 ? null : (values[i] ?? null))),
          raw[0] as bigint,
        );

  const keyAsStored = (raw: readonly SourceValue[], out: RowOutcome): boolean => {
    for (let j = 0; j < keyIdx.length; j++) {
      const r = raw[keyIdx[j] as number];
      if (typeof r !== 'string' || r !== out.values[keySlot[j] as number]) return false;
    }
    // Invalid UTF-8 reads as U+FFFD: equal texts here, distinct bytes in SQLite.
    return !out.repairs.some((r) => spec.key.includes(r.column));
  };

  let current = '';
  let repairs: RepairRecord[] = [];
  let reject: RejectRecord | null = null;
  const sink: IssueSink = {
    repair(kind, message, original) {
      repairs.push({ column: current, kind, message, original });
    },
    reject(kind, message) {
      reject ??= { column: current, kind, message };
      return REJECT;
    },
  };

  return {
    spec,
    selectColumns,
    targetColumns: slots.map((s) => s.target),
    missingColumns,
    unsatisfiedColumns,
    unmappedColumns,
    sliceable,
    keyOf,
    keyAsStored,
    convertValue(target, v) {
      const slot = slots[slotOf.get(target) ?? -1];
      if (slot === undefined || !('idx' in slot)) return undefined;
      const out = slot.convert(v, 0n, { repair: () => undefined, reject: () => REJECT });
      return out === REJECT ? undefined : out;
    },
    convertRow(raw) {
      repairs = [];
      reject = null;
      for (const i of pkIdx) {
        if (i < 0 || raw[i] === null) {
          return {
            values: [],
            repairs: [],
            reject: { column: pk.join(', '), kind: 'null_key', message: 'NULL in a primary key column' },
          };
        }
      }
      const rowid = raw[0] as bigint;
      const values: TargetValue[] = new Array<TargetValue>(slots.length);
      for (let s = 0; s < slots.length; s++) {
        const slot = slots[s] as Slot;
        if ('constant' in slot) {
          values[s] = slot.constant;
          continue;
        }
        current = slot.column;
        if ('json' in slot) {
          values[s] = fromJson(values[slot.json] ?? null, slot, sink);
          continue;
        }
        const out = slot.convert(raw[slot.idx] as SourceValue, rowid, sink);
        if (out === REJECT) return { values: [], repairs: [], reject };
        values[s] = out;
      }
      for (const { s, i } of notNull) {
        if (values[i] === null)
          return {
            values: [],
            repairs: [],
            reject: { column: s.column, kind: 'null_value', message: 'NULL where the target column is NOT NULL' },
          };
      }
      for (const o of orphanChecks) {
        const parts = o.idx.map((i) => values[i] ?? null);
        if (parts.some((p) => p === null)) continue;
        const key = parts.length === 1 ? String(parts[0]) : JSON.stringify(parts.map(String));
        if (o.set.has(key)) {
          return {
            values: [],
            repairs: [],
            reject: {
              column: o.columns.join(', '),
              kind: 'fk_orphan',
              message: `points to no ${o.parent} row, and the target's foreign key ${o.constraint} refuses such a row`,
            },
          };
        }
      }
      const tooLarge = oversized.size === 0 ? undefined : oversized.get(rowid);
      if (tooLarge !== undefined)
        return {
          values: [],
          repairs: [],
          reject: {
            column: tooLarge.columns.join(', '),
            kind: 'key_too_large',
            message: `${tooLarge.columns.join(', ')} too large for an entry of ${tooLarge.constraint} (at most ${INDEX_ENTRY_MAX.toLocaleString('en-US')} bytes, after the server's compression): the target table cannot hold the row`,
          },
        };
      return { values, repairs, reject: null };
    },
  };
}

/**
 * A column taken from a key of the row's JSON column (converted already):
 * the key's value in the column's type; `otherwise` (the mapping's
 * whenMissing) when the JSON is NULL or lacks the key. A value of another
 * JSON type also gets `otherwise`, a repair recorded with the value, since
 * the whole JSON is loaded anyway.
 */
function fromJson(
  json: TargetValue,
  slot: { key: string; spec: ColumnSpec; otherwise: TargetValue },
  sink: IssueSink,
): TargetValue {
  if (typeof json !== 'string') return slot.otherwise;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return slot.otherwise;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.hasOwn(parsed, slot.key))
    return slot.otherwise;
  const x = (parsed as Record<string, unknown>)[slot.key];
  if (x === null) return null;
  const value = jsonScalar(x, slot.spec);
  if (value !== undefined) return value;
  sink.repair(
    'type_mismatch',
    `the JSON key "${slot.key}" holds no ${slot.spec.type}; the column gets ${JSON.stringify(slot.otherwise)}`,
    JSON.stringify(x),
  );
  return slot.otherwise;
}
