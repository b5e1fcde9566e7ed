import type { SourceColumn, SourceObject } from './inventory.js';
import type { ColumnSpec, TableSpec, TargetType } from '../mapping/schema.js';
import { rowidName } from './rowid.js';

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
  if (pk.length > 0) {
    // A primary key column is NOT NULL in PostgreSQL, whatever SQLite declared (an INTEGER PRIMARY KEY declares nothing).
    const cols = columns.map((c) => (c.pk > 0 ? { ...autoColumn(c), nullable: false } : autoColumn(c)));
    return {
      source: obj.name,
      target: obj.name,
      key: pk.map((c) => c.name),
      unique: [],
      indexes: [],
      foreignKeys: [],
      triggers: [],
      conflict: { policy: 'fail' },
      columns: cols,
    };
  }
  // No primary key: two rows may be equal in every column, and both are kept.
  // Each is told apart by its SQLite rowid, loaded as the column sqlite_rowid
  // (the key resume, verify and rollback use); rowids another run already
  // loaded are re-assigned, as for any autoincrement id.
  const rowid = rowidName(obj.columns.map((c) => c.name)) ?? 'rowid';
  let target = 'sqlite_rowid';
  while (columns.some((c) => c.name === target)) target = `_${target}`;
  return {
    source: obj.name,
    target: obj.name,
    key: [rowid],
    surrogateKey: rowid,
    unique: [],
    indexes: [],
    foreignKeys: [],
    triggers: [],
    conflict: {
      policy: 'keep-both',
      reason: 'a table without a primary key: every row is its own, told apart by its SQLite rowid',
    },
    columns: [
      {
        name: rowid,
        target,
        type: 'bigint',
        nullable: false,
        targetOnly: false,
        note: 'the SQLite rowid: the table has no primary key, and equal rows are all kept',
      },
      ...columns.map(autoColumn),
    ],
  };
}
