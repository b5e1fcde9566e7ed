import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SourceError } from '../errors.js';
import { sideFileBytes, type Sniff } from './sniff.js';
import { openSource } from './connection.js';

/** A consistent, read-only view of one source file. */
export interface Snapshot {
  readonly db: Database.Database;
  /** The file SQLite reads: the source itself, or a private copy. */
  readonly readPath: string;
  readonly copied: boolean;
  /** WITHOUT ROWID tables, rebuilt in the private copy with rowids in primary-key order. */
  readonly rowidsGiven: readonly string[];
  close(): void;
}

/**
 * Opens a source file without changing it in any way.
 *
 * A file in WAL mode (Aragora's default, reference §1.4) keeps committed rows in
 * `-wal` until a checkpoint. Opening it, even read-only, makes SQLite create or
 * write `-shm`, and the last connection to close checkpoints into the `.db`.
 * So such a file (or one with a hot `-journal`) is copied with its `-wal` into a
 * private temp folder and the copy is opened: SQLite replays the committed
 * frames there, the source stays byte-identical, and no `-wal`/`-shm` appears
 * beside it. A file with nothing pending (no `-wal` content, no journal) is read
 * in place: read-only, and immutable when in WAL mode.
 */
export function openSnapshot(path: string, sniff: Sniff, tmpRoot: string = tmpdir()): Snapshot {
  const wal = `${path}-wal`;
  const journal = `${path}-journal`;
  const pendingWal = sideFileBytes(wal) > 0;
  const mustCopy = pendingWal || existsSync(journal);
  let keyed = false;
  if (!mustCopy && sniff.walMode) {
    // WAL mode with nothing in a -wal: the .db holds every committed row. Opened
    // as immutable, SQLite takes no locks and creates no -shm, so there is
    // nothing to copy (a 1 GB source would otherwise be copied first). That
    // needs URI filenames, which better-sqlite3 enables only when
    // SQLITE_USE_URI=1 was set before it loaded (src/cli/main.ts does); without
    // them the copy below is the way.
    const immutable = tryOpenImmutable(path);
    if (immutable !== null && withoutRowidTables(immutable.db).length === 0) return immutable;
    keyed = immutable !== null;
    immutable?.close();
  }
  if (!keyed && !mustCopy && !sniff.walMode) keyed = hasWithoutRowid(path);
  const copy = mustCopy || sniff.walMode || keyed;
  let dir: string | null = null;
  let readPath = path;
  try {
    if (copy) {
      dir = mkdtempSync(join(tmpRoot, 'aragora-migrate-snap-'));
      readPath = join(dir, basename(path));
      copyFileSync(path, readPath);
      if (existsSync(wal)) copyFileSync(wal, `${readPath}-wal`);
      if (existsSync(journal)) copyFileSync(journal, `${readPath}-journal`);
    }
    const db = openSource(readPath, { readonly: !copy });
    const rowidsGiven: string[] = [];
    if (copy) {
      // Replay the copied WAL into the private copy now, so every later read
      // sees the same committed state.
      db.pragma('wal_checkpoint(TRUNCATE)');
      for (const t of withoutRowidTables(db)) {
        giveRowids(db, t);
        rowidsGiven.push(t);
      }
      db.pragma('query_only = true');
    }
    const tmp = dir;
    return {
      db,
      readPath,
      copied: copy,
      rowidsGiven,
      close() {
        if (db.open) db.close();
        if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (err: unknown) {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    throw new SourceError(
      'SOURCE_UNREADABLE',
      `cannot open ${path} as SQLite: ${err instanceof Error ? err.message : String(err)}`,
      {
        file: path,
        cause: err,
      },
    );
  }
}

function tryOpenImmutable(path: string): Snapshot | null {
  const uri = `file:${encodeURI(path).replaceAll('?', '%3F').replaceAll('#', '%23')}?immutable=1`;
  let db: Database.Database;
  try {
    db = openSource(uri);
  } catch {
    return null;
  }
  return { db, readPath: uri, copied: false, rowidsGiven: [], close: () => (db.open ? db.close() : undefined) };
}

function withoutRowidTables(db: Database.Database): string[] {
  const rows = db.prepare('PRAGMA table_list').all() as {
    schema: string;
    name: string;
    type: string;
    wr: bigint | number;
  }[];
  return rows.filter((t) => t.schema === 'main' && t.type === 'table' && Number(t.wr) === 1).map((t) => t.name);
}

function hasWithoutRowid(path: string): boolean {
  try {
    const db = openSource(path);
    try {
      return withoutRowidTables(db).length > 0;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/**
 * A WITHOUT ROWID table has no rowid, which every reader keys its batches,
 * checkpoints, rejects and verify slices on. In the private copy (never the
 * source) it is rebuilt as an ordinary table with the same columns and key,
 * its rows inserted in primary-key order: rowid n is the n-th row by key, the
 * same for the same file every time, in plan, migrate and verify alike.
 */
function giveRowids(db: Database.Database, table: string): void {
  const q = (n: string): string => `"${n.replaceAll('"', '""')}"`;
  const cols = db.prepare(`PRAGMA table_xinfo(${q(table)})`).all() as {
    name: string;
    type: string;
    notnull: bigint | number;
    pk: bigint | number;
    hidden: bigint | number;
  }[];
  const pk = cols.filter((c) => Number(c.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk));
  const names = cols.map((c) => q(c.name)).join(', ');
  let tmp = `${table}__rowid`;
  while (db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(tmp) !== undefined) tmp += '_';
  // A one-column key declared INTEGER would be the rowid itself in an
  // ordinary table: it would refuse the texts and reals a WITHOUT ROWID table
  // holds there ("datatype mismatch", and the file was called corrupt), and
  // give the key's values as rowids instead of positions. Declared on the
  // column with DESC, it is not (SQLite's documented exception); the order
  // the rows get their rowids in is the INSERT's.
  const columnKey = pk.length === 1 ? pk[0]?.name : undefined;
  const defs = cols.map(
    (c) =>
      `${q(c.name)} ${c.type}${Number(c.notnull) === 1 ? ' NOT NULL' : ''}${c.name === columnKey ? ' PRIMARY KEY DESC' : ''}`,
  );
  const tableKey = columnKey === undefined ? `, PRIMARY KEY (${pk.map((c) => q(c.name)).join(', ')})` : '';
  db.transaction(() => {
    db.exec(`CREATE TABLE ${q(tmp)} (${defs.join(', ')}${tableKey})`);
    db.exec(
      `INSERT INTO ${q(tmp)} (${names}) SELECT ${names} FROM ${q(table)} ORDER BY ${pk.map((c) => q(c.name)).join(', ')}`,
    );
    db.exec(`DROP TABLE ${q(table)}`);
    // Views and triggers naming the table are left as they are (they are not migrated).
    db.pragma('legacy_alter_table = ON');
    db.exec(`ALTER TABLE ${q(tmp)} RENAME TO ${q(table)}`);
    db.pragma('legacy_alter_table = OFF');
  })();
}
