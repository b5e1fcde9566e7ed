import Database from 'better-sqlite3';

/**
 * SQLite's page cache, in KiB, of a connection that reads a source file.
 * better-sqlite3 builds SQLite with a 16 MB default
 * (`SQLITE_DEFAULT_CACHE_SIZE=-16000`), and a scan of a big table fills it to
 * the brim, in every connection that scans: the conversion workers, the
 * integrity checks, the snapshot's own. Pages are read once, in rowid order,
 * so the cache serves little but the b-tree's interior pages; the operating
 * system's cache serves the rest. With 2 MB, the benchmark's 1.5M-row load
 * peaked at 189 MiB instead of 236-240, in the same time, and quick_check of
 * its 1 GB file took 1.2-1.3 s instead of 1.4-1.6 (docs/performance.md).
 */
export const SOURCE_CACHE_KIB = 2000;

/** A connection to a source file, read-only unless asked otherwise (a private copy), integers as bigint. */
export function openSource(path: string, options: { readonly?: boolean } = {}): Database.Database {
  const db = new Database(path, { readonly: options.readonly ?? true, fileMustExist: true });
  db.defaultSafeIntegers(true);
  db.pragma(`cache_size = -${SOURCE_CACHE_KIB}`);
  return db;
}
