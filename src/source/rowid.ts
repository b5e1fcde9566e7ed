import type Database from 'better-sqlite3';
import { SourceError } from '../errors.js';
import { ROWID_ALIASES } from '../tables/row-converter.js';

/**
 * The name a table's row id is read by: the first of rowid, _rowid_ and oid
 * that no column of the table takes (SQLite compares names without case).
 * A column called `rowid` hides the row id from `SELECT rowid`: a read by
 * `rowid > ?` would then page through that column, and a text column there
 * gives no row at all. null when all three are columns.
 */
export function rowidName(columns: readonly string[]): string | null {
  const own = new Set(columns.map((c) => c.toLowerCase()));
  return ROWID_ALIASES.find((n) => !own.has(n)) ?? null;
}

const byConnection = new WeakMap<Database.Database, Map<string, string>>();

/**
 * rowidName for `table` of `db`, read from its schema once per connection.
 * Throws SOURCE_ROWID_HIDDEN where all three names are columns: such a
 * table's rows cannot be read in order, and none is left behind silently
 * (discover reports such a mapped table first, as a blocking finding).
 */
export function rowidOf(db: Database.Database, table: string): string {
  let tables = byConnection.get(db);
  if (tables === undefined) byConnection.set(db, (tables = new Map()));
  const known = tables.get(table);
  if (known !== undefined) return known;
  const columns = db.prepare('SELECT name FROM pragma_table_xinfo(?)').pluck().all(table) as string[];
  const name = rowidName(columns);
  if (name === null)
    throw new SourceError(
      'SOURCE_ROWID_HIDDEN',
      `table ${table} has columns named rowid, _rowid_ and oid: its row ids cannot be read, so its rows cannot be migrated`,
      { table },
    );
  tables.set(table, name);
  return name;
}
