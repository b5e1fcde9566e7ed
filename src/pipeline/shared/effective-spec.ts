import type { SourceObject } from '../../source/inventory.js';
import { autoColumn } from '../../source/auto-mapping.js';
import { MAX_IDENTIFIER_BYTES, type ColumnSpec, type TableSpec } from '../../mapping/schema.js';

/**
 * The spec a source table is loaded with: its mapping plus every column the
 * source holds and the mapping does not name, carried over with a type derived
 * from SQLite's declaration (never dropped).
 */
export function effectiveSpec(spec: TableSpec, obj: SourceObject): { spec: TableSpec; extra: ColumnSpec[] } {
  const named = new Set(spec.columns.map((c) => c.name));
  const unnamed = obj.columns.filter((c) => !c.hidden && !named.has(c.name));
  // A carried-over column renamed (autoColumn) keeps clear of every other target name.
  const taken = new Set([...spec.columns.map((c) => c.target ?? c.name), ...unnamed.map((c) => c.name)]);
  const extra = unnamed.map((c) => autoColumn(c, taken));
  return { spec: extra.length === 0 ? spec : { ...spec, columns: [...spec.columns, ...extra] }, extra };
}

/** One target table fed by several sources gets the union of their columns. */
export function unionSpecs(specs: readonly TableSpec[]): TableSpec {
  const [first, ...rest] = specs;
  if (first === undefined) throw new Error('unionSpecs needs at least one spec');
  const columns = [...first.columns];
  for (const s of rest) {
    for (const c of s.columns) if (!columns.some((x) => (x.target ?? x.name) === (c.target ?? c.name))) columns.push(c);
  }
  return { ...first, columns };
}

/**
 * Target column names PostgreSQL would cut (over 63 bytes): a column carried
 * over from SQLite under its own name. Two such names can become one, and
 * COPY, verify and rollback would name a column the table does not have; so
 * plan reports them and migrate refuses, until a mapping gives a shorter
 * target name.
 */
export function tooLongNames(spec: TableSpec): string[] {
  return spec.columns.map((c) => c.target ?? c.name).filter((n) => Buffer.byteLength(n, 'utf8') > MAX_IDENTIFIER_BYTES);
}

/** PostgreSQL's MaxHeapAttributeNumber: a table holds at most this many columns, dropped ones included. */
export const MAX_TABLE_COLUMNS = 1600;

/**
 * The target's column count when it passes PostgreSQL's limit (SQLite allows
 * 2000): the table could not be created, and the tool carries every source
 * column over, so plan reports it and migrate refuses; null when it fits.
 * `existing`: columns the target table has already that the spec does not
 * name (an existing table keeps them).
 */
export function tooManyColumns(spec: TableSpec, existing: Iterable<string> = []): number | null {
  const names = new Set([...spec.columns.map((c) => c.target ?? c.name), ...existing]);
  return names.size > MAX_TABLE_COLUMNS ? names.size : null;
}
