import type { SourceColumn, SourceObject } from './inventory.js';
import { SYSTEM_COLUMN_NAMES, type ColumnSpec, type TableSpec, type TargetType } from '../mapping/schema.js';
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

/**
 * A column carried over under its own name, or, where PostgreSQL cannot
 * take that name, under another, with as many `_` before it as the names in
 * `taken` (the table's other target columns) need: `sqlite_<name>` for one of
 * PostgreSQL's system columns (`xmin`, `ctid`, …, which no table can have),
 * `sqlite_unnamed` for the empty name SQLite allows. Its values arrive
 * either way, and the note says where.
 */
export function autoColumn(col: SourceColumn, taken: ReadonlySet<string> = new Set()): ColumnSpec {
  const derived = `derived from the SQLite declared type "${col.declaredType}"`;
  const column = {
    name: col.name,
    type: autoColumnType(col.declaredType),
    nullable: !col.notNull,
    targetOnly: false,
  };
  const why =
    col.name === ''
      ? 'PostgreSQL has no column without a name'
      : SYSTEM_COLUMN_NAMES.has(col.name)
        ? `PostgreSQL keeps ${col.name} for a system column`
        : null;
  if (why === null) return { ...column, note: derived };
  const target = freeName(`sqlite_${col.name === '' ? 'unnamed' : col.name}`, taken);
  return { ...column, target, note: `${derived}; loaded as ${target}: ${why}` };
}

/** `name`, with `_` before it until no name in `taken` is the same. */
function freeName(name: string, taken: ReadonlySet<string>): string {
  let free = name;
  while (taken.has(free)) free = `_${free}`;
  return free;
}

export function autoTable(obj: SourceObject): TableSpec {
  const columns = obj.columns.filter((c) => !c.hidden);
  const names = new Set(columns.map((c) => c.name));
  const pk = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  if (pk.length > 0) {
    // A primary key column is NOT NULL in PostgreSQL, whatever SQLite declared (an INTEGER PRIMARY KEY declares nothing).
    const cols = columns.map((c) => ({ ...autoColumn(c, names), ...(c.pk > 0 ? { nullable: false } : {}) }));
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
  const target = freeName('sqlite_rowid', names);
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
      ...columns.map((c) => autoColumn(c, new Set([...names, target]))),
    ],
  };
}
