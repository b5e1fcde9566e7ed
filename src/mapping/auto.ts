import type { SourceColumn, SourceObject } from '../discover/inventory.js';
import type { ColumnSpec, TableSpec, TargetType } from './schema.js';

/**
 * A mapping derived from the SQLite schema alone, for any SQLite file (`--auto`)
 * and for columns a mapping does not name: they are carried over, never dropped.
 * Types follow SQLite's affinity rules (datatype3.html §3.1), then the common
 * declared names for dates, JSON and booleans.
 */
export function autoColumnType(declared: string): TargetType {
  const d = declared.toUpperCase();
  if (d.includes('INT')) return 'bigint';
  if (d.includes('BOOL')) return 'boolean';
  if (d.includes('JSON')) return 'jsonb';
  if (d.includes('DATE') || d.includes('TIME')) return 'timestamptz';
  if (d.includes('CHAR') || d.includes('CLOB') || d.includes('TEXT')) return 'text';
  if (d.includes('BLOB')) return 'bytea';
  if (d.includes('REAL') || d.includes('FLOA') || d.includes('DOUB')) return 'double precision';
  // No declared type: SQLite stores anything; text keeps every value's text form.
  if (d.trim() === '') return 'text';
  return 'numeric';
}

export function autoColumn(col: SourceColumn): ColumnSpec {
  return {
    name: col.name,
    type: autoColumnType(col.declaredType),
    nullable: !col.notNull,
    targetOnly: false,
    note: `derived from the SQLite declared type "${col.declaredType}"`,
  };
}

export function autoTable(obj: SourceObject): TableSpec {
  const columns = obj.columns.filter((c) => !c.hidden);
  const pk = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  // Without a primary key, a row is identified by its whole content.
  const key = (pk.length > 0 ? pk : columns).map((c) => c.name);
  return {
    source: obj.name,
    target: obj.name,
    key,
    unique: [],
    indexes: [],
    foreignKeys: [],
    triggers: [],
    conflict: { policy: 'fail' },
    columns: columns.map(autoColumn),
  };
}
