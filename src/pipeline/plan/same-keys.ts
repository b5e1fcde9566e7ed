import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceObject } from '../../source/inventory.js';

/**
 * The keys of a table's rows as they load (src/tables/target-key.ts), to
 * tell a row whose key an earlier row of the same table already has once
 * converted: distinct in SQLite, one key in PostgreSQL (an invalid UTF-8 byte
 * or a NUL byte replaced by U+FFFD beside a key holding U+FFFD itself, the
 * integer 1 and the text '1', two spellings of one timestamp). migrate settles
 * such a row by the table's conflict policy (src/pipeline/migrate/load-table.ts,
 * holdLaterDuplicates), so plan counts it as it counts a key the target holds.
 *
 * The keys go to a scratch SQLite file, not the heap: a table of millions of
 * rows keeps plan's memory where migrate's is. A key is compared whole, so
 * the count is exact.
 */
export class SameKeys {
  readonly #dir: string;
  readonly #db: Database.Database;
  readonly #add: Database.Statement<[string]>;

  constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), 'aragora-migrate-plan-'));
    this.#db = new Database(join(this.#dir, 'keys.db'));
    this.#db.pragma('journal_mode = OFF');
    this.#db.pragma('synchronous = OFF');
    this.#db.pragma('cache_size = -32768');
    this.#db.exec('CREATE TABLE k (key TEXT PRIMARY KEY) WITHOUT ROWID');
    this.#add = this.#db.prepare('INSERT OR IGNORE INTO k (key) VALUES (?)');
  }

  /** Which of `keys` an earlier key (of this call or an earlier one) already had, by index. */
  repeats(keys: readonly string[]): number[] {
    const out: number[] = [];
    this.#db.transaction(() => {
      for (let i = 0; i < keys.length; i++) if (this.#add.run(keys[i] as string).changes === 0) out.push(i);
    })();
    return out;
  }

  close(): void {
    this.#db.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Whether the table's rows can share a key once converted: not when the key
 * is the table's INTEGER PRIMARY KEY, which SQLite keeps unique and holds
 * only integers, each of which loads as itself.
 */
export function keysMayRepeat(obj: SourceObject, key: readonly string[]): boolean {
  const pk = obj.columns.filter((c) => c.pk > 0);
  const alias =
    !obj.withoutRowid && pk.length === 1 && pk[0]?.declaredType.trim().toUpperCase() === 'INTEGER' ? pk[0].name : null;
  return key.length > 0 && !(key.length === 1 && key[0] === alias);
}
