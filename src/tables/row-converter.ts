import type { ColumnSpec, ConverterName, TableSpec, TargetType } from '../mapping/schema.js';
import type { FindingKind } from '../report/types.js';
import { formatKey } from '../util/keys.js';
import { DEFAULT_POLICY, makeConverter, type ValueConverter } from './converters.js';
import type { OffsetFn } from './timestamp.js';
import { REJECT, type IssueSink, type RawTextFetcher, type SourceValue, type TargetValue } from './value.js';

/** The converter a target type gets when the mapping names none. */
export const DEFAULT_CONVERTER: Readonly<Record<TargetType, ConverterName>> = {
  text: 'text',
  bigint: 'integer',
  integer: 'integer',
  'double precision': 'float',
  numeric: 'numeric',
  boolean: 'boolean',
  timestamptz: 'timestamp',
  jsonb: 'json',
  bytea: 'blob',
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
  /** `raw` is `[rowid, ...selectColumns]` as better-sqlite3 returns it in raw mode. */
  convertRow(raw: readonly SourceValue[]): RowOutcome;
  keyOf(raw: readonly SourceValue[]): string;
}

export interface CompileOptions {
  readonly offsetOf: OffsetFn;
  readonly fetchRaw: RawTextFetcher;
}

/** Target text form of a `whenMissing` literal. */
function literal(value: string | number | boolean | null): TargetValue {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

export function compileTable(spec: TableSpec, sourceColumns: readonly string[], opts: CompileOptions): CompiledTable {
  const present = new Set(sourceColumns);
  const mapped = spec.columns.filter((c) => !c.targetOnly);
  const selectColumns = mapped.filter((c) => present.has(c.name)).map((c) => c.name);
  const missingColumns = mapped.filter((c) => !present.has(c.name) && c.whenMissing !== undefined);
  const unsatisfiedColumns = mapped.filter((c) => !present.has(c.name) && c.whenMissing === undefined);
  const mappedNames = new Set(mapped.map((c) => c.name));
  const unmappedColumns = sourceColumns.filter((c) => !mappedNames.has(c));

  const indexOf = new Map(selectColumns.map((name, i) => [name, i + 1] as const));
  const keyIdx = spec.key.map((k) => indexOf.get(k) ?? -1);
  // A NULL can only be refused where the target's primary key needs a value;
  // a nullable natural key (matches.debate_id, UNIQUE) holds NULLs that never collide.
  const pkIdx = (spec.primaryKey ?? spec.key).map((k) => indexOf.get(k) ?? -1);

  type Slot = { target: string; column: string; idx: number; convert: ValueConverter } | { target: string; column: string; constant: TargetValue };
  const slots: Slot[] = [];
  for (const col of mapped) {
    const target = col.target ?? col.name;
    const idx = indexOf.get(col.name);
    if (idx === undefined) {
      if (col.whenMissing !== undefined) slots.push({ target, column: col.name, constant: literal(col.whenMissing) });
      continue;
    }
    const convert = makeConverter(col.convert ?? DEFAULT_CONVERTER[col.type], {
      column: col.name,
      policy: { ...DEFAULT_POLICY, ...col.policy },
      offsetOf: opts.offsetOf,
      fetchRaw: opts.fetchRaw,
      int32: col.type === 'integer',
    });
    slots.push({ target, column: col.name, idx, convert });
  }

  const keyOf = (raw: readonly SourceValue[]): string =>
    formatKey(
      keyIdx.map((i) => (i < 0 ? null : raw[i])),
      raw[0] as bigint,
    );

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
    keyOf,
    convertRow(raw) {
      repairs = [];
      reject = null;
      for (const i of pkIdx) {
        if (i < 0 || raw[i] === null) {
          return { values: [], repairs: [], reject: { column: (spec.primaryKey ?? spec.key).join(', '), kind: 'null_key', message: 'NULL in a primary key column' } };
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
        const out = slot.convert(raw[slot.idx] as SourceValue, rowid, sink);
        if (out === REJECT) return { values: [], repairs: [], reject };
        values[s] = out;
      }
      return { values, repairs, reject: null };
    },
  };
}
