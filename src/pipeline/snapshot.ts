import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SourceError } from '../errors.js';
import { sideFileBytes, type Sniff } from '../discover/sniff.js';

/** A consistent, read-only view of one source file. */
export interface Snapshot {
  readonly db: Database.Database;
  /** The file SQLite reads: the source itself, or a private copy. */
  readonly readPath: string;
  readonly copied: boolean;
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
  if (!mustCopy && sniff.walMode) {
    // WAL mode with nothing in a -wal: the .db holds every committed row. Opened
    // as immutable, SQLite takes no locks and creates no -shm, so there is
    // nothing to copy (a 1 GB source would otherwise be copied first). That
    // needs URI filenames, which better-sqlite3 enables only when
    // SQLITE_USE_URI=1 was set before it loaded (src/cli/main.ts does); without
    // them the copy below is the way.
    const immutable = tryOpenImmutable(path);
    if (immutable !== null) return immutable;
  }
  const copy = mustCopy || sniff.walMode;
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
    const db = new Database(readPath, { readonly: !copy, fileMustExist: true });
    db.defaultSafeIntegers(true);
    if (copy) {
      // Replay the copied WAL into the private copy now, so every later read
      // sees the same committed state.
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.pragma('query_only = true');
    }
    const tmp = dir;
    return {
      db,
      readPath,
      copied: copy,
      close() {
        if (db.open) db.close();
        if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (err: unknown) {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    throw new SourceError('SOURCE_UNREADABLE', `cannot open ${path} as SQLite: ${err instanceof Error ? err.message : String(err)}`, {
      file: path,
      cause: err,
    });
  }
}

function tryOpenImmutable(path: string): Snapshot | null {
  const uri = `file:${encodeURI(path).replaceAll('?', '%3F').replaceAll('#', '%23')}?immutable=1`;
  let db: Database.Database;
  try {
    db = new Database(uri, { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  db.defaultSafeIntegers(true);
  return { db, readPath: uri, copied: false, close: () => (db.open ? db.close() : undefined) };
}
