import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceObject } from '../../source/inventory.js';
import { quoteSqliteIdent } from '../../source/quote.js';
import { ROWID_ALIASES, type CompiledTable, type RowOutcome } from '../../tables/row-converter.js';
import type { SourceValue } from '../../tables/value.js';
import { rowidOf } from '../../source/rowid.js';

/**
 * Tells the rows of a table whose key an earlier row of the same table
 * already has once converted: distinct in SQLite, one key in PostgreSQL (an
 * invalid UTF-8 byte or a NUL byte replaced by U+FFFD beside a key holding
 * U+FFFD itself, the integer 1 and the text '1', two spellings of one
 * timestamp). migrate settles such a row by the table's conflict policy
 * (src/pipeline/migrate/load-table.ts, holdLaterDuplicates), so plan counts it
 * as it counts a key the target holds. The count is exact.
 *
 * Where SQLite keeps the key unique (a unique index on its columns), a row
 * whose key loads as SQLite holds it (keyAsStored) can only meet a row whose
 * key conversion changed: those few rows are looked up in the source by their
 * converted key, and kept in a scratch file to meet each other. Otherwise
 * every row's key goes to the scratch file. The scratch is a SQLite file, not
 * the heap, so a table of millions of rows keeps plan's memory bounded.
 */
export class SameKeys {
  readonly #compiled: CompiledTable;
  /** Rows of the source whose key columns hold these texts, read whole; null when every key goes to the scratch. */
  readonly #lookup: Database.Statement | null;
  #dir: string | null = null;
  #scratch: Database.Database | null = null;
  #add: Database.Statement<[string]> | null = null;

  private constructor(compiled: CompiledTable, lookup: Database.Statement | null) {
    this.#compiled = compiled;
    this.#lookup = lookup;
  }

  /**
   * null where no two rows can share a key: the table's INTEGER PRIMARY KEY,
   * which holds only integers, or its rowid itself (a table without a key).
   */
  static of(db: Database.Database, obj: SourceObject, compiled: CompiledTable): SameKeys | null {
    const key = compiled.spec.key;
    if (key.length === 0 || (key.length === 1 && (key[0] === rowidAlias(obj) || isRowid(obj, key[0] as string))))
      return null;
    if (key.some((k) => !compiled.selectColumns.includes(k))) return new SameKeys(compiled, null);
    if (!uniqueInSqlite(db, obj, key)) return new SameKeys(compiled, null);
    const q = quoteSqliteIdent;
    const where = key.map((k) => `typeof(${q(k)}) = 'text' AND ${q(k)} = ?`).join(' AND ');
    const lookup = db
      .prepare(
        `SELECT ${rowidOf(db, obj.name)}, ${compiled.selectColumns.map(q).join(', ')} FROM ${q(obj.name)} WHERE ${where}`,
      )
      .raw(true)
      .safeIntegers(true);
    return new SameKeys(compiled, lookup);
  }

  /** Whether this converted row's key is one an earlier row had once converted (in the source, or met before). */
  repeated(raw: readonly SourceValue[], out: RowOutcome): boolean {
    if (this.#lookup !== null && this.#compiled.keyAsStored(raw, out)) return false;
    const key = this.#compiled.keyOf(raw, out.values);
    // A key with a NULL part (its row's own `rowid:` handle) meets no other: PostgreSQL's unique keys let NULLs be.
    if (key === `rowid:${String(raw[0])}`) return false;
    // One count per row: met in the source as stored, or after another changed key.
    return this.#scratchInsert().run(key).changes === 0 || this.#storedAs(key);
  }

  close(): void {
    this.#scratch?.close();
    if (this.#dir !== null) rmSync(this.#dir, { recursive: true, force: true });
  }

  /** Whether a row that loads under `key` as SQLite holds it is in the source (a lookup table only). */
  #storedAs(key: string): boolean {
    if (this.#lookup === null) return false;
    const parts = this.#compiled.spec.key.length === 1 ? [key] : (JSON.parse(key) as string[]);
    for (const raw of this.#lookup.iterate(...parts) as Iterable<SourceValue[]>) {
      const row = this.#compiled.convertRow(raw);
      if (row.reject === null && this.#compiled.keyAsStored(raw, row)) return true;
    }
    return false;
  }

  #scratchInsert(): Database.Statement<[string]> {
    if (this.#add !== null) return this.#add;
    this.#dir = mkdtempSync(join(tmpdir(), 'aragora-migrate-plan-'));
    const scratch = new Database(join(this.#dir, 'keys.db'));
    scratch.pragma('journal_mode = OFF');
    scratch.pragma('synchronous = OFF');
    scratch.pragma('cache_size = -32768');
    scratch.exec('CREATE TABLE k (key TEXT PRIMARY KEY) WITHOUT ROWID');
    // One transaction for the whole table, never committed: the file goes with close().
    scratch.exec('BEGIN');
    this.#scratch = scratch;
    this.#add = scratch.prepare('INSERT OR IGNORE INTO k (key) VALUES (?)');
    return this.#add;
  }
}

/** Whether `name` is SQLite's own rowid (a name no column of the table has). */
function isRowid(obj: SourceObject, name: string): boolean {
  return ROWID_ALIASES.includes(name) && !obj.columns.some((c) => c.name === name);
}

/** The table's INTEGER PRIMARY KEY column (the rowid under another name), if it has one. */
function rowidAlias(obj: SourceObject): string | null {
  const pk = obj.columns.filter((c) => c.pk > 0);
  return !obj.withoutRowid && pk.length === 1 && pk[0]?.declaredType.trim().toUpperCase() === 'INTEGER'
    ? pk[0].name
    : null;
}

/** Whether SQLite keeps the key unique: a unique index (a primary key's included) on some of its columns. */
function uniqueInSqlite(db: Database.Database, obj: SourceObject, key: readonly string[]): boolean {
  const alias = rowidAlias(obj);
  if (alias !== null && key.includes(alias)) return true;
  // A partial index keeps only some rows unique.
  const indexes = db
    .prepare('SELECT name FROM pragma_index_list(?) WHERE "unique" = 1 AND partial = 0')
    .all(obj.name) as { name: string }[];
  return indexes.some(({ name }) => {
    const cols = db.prepare('SELECT name FROM pragma_index_info(?)').pluck().all(name) as (string | null)[];
    return cols.length > 0 && cols.every((c) => c !== null && key.includes(c));
  });
}
