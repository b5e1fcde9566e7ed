import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, SourceError } from '../errors.js';

const SIDE_FILE = /-(wal|shm|journal)$/;
/** Names an operator would expect to be databases: reported even when they are not SQLite. */
export const DB_NAME = /\.(db|sqlite|sqlite3|db3)$/i;

export interface DataDirListing {
  /** Regular files, relative to the data dir, sorted. */
  readonly files: readonly string[];
  /** Symbolic links, never followed (relative paths). */
  readonly links: readonly string[];
  /** Entries that could not be read (a folder without permission, an I/O error), with why. */
  readonly unreadable: readonly { readonly path: string; readonly error: string }[];
}

/**
 * The data dir as every command takes it: a folder that exists and can be
 * listed. A path that is missing or is a file is a usage error (exit 2); a
 * folder that cannot be read is an unreadable source (exit 5).
 */
export function assertDataDir(dir: string, source = '--data-dir'): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConfigError('CONFIG_DATA_DIR_MISSING', `data dir ${dir} does not exist (taken from ${source})`);
    throw new SourceError('SOURCE_UNREADABLE', `data dir ${dir} cannot be read: ${errorText(err)}`, {
      file: dir,
      cause: err,
    });
  }
  if (!isDir)
    throw new ConfigError('CONFIG_DATA_DIR_NOT_DIR', `data dir ${dir} is a file, not a folder (taken from ${source})`);
  try {
    readdirSync(dir);
  } catch (err: unknown) {
    throw new SourceError('SOURCE_UNREADABLE', `data dir ${dir} cannot be listed: ${errorText(err)}`, {
      file: dir,
      cause: err,
    });
  }
}

/**
 * Every regular file under `root`, depth-first, sorted, at most `maxDepth`
 * folders down. Symlinks are never followed: a link could lead out of the data
 * dir, and the same file reached twice would be migrated twice; they are
 * listed so reports can say so. A folder or entry that cannot be read is
 * listed too, never skipped in silence.
 */
export function walkDataDir(root: string, maxDepth = 4): DataDirListing {
  assertDataDir(root);
  const files: string[] = [];
  const links: string[] = [];
  const unreadable: { path: string; error: string }[] = [];
  const visit = (dir: string, depth: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err: unknown) {
      unreadable.push({ path: relative(root, dir), error: errorText(err) });
      return;
    }
    for (const entry of entries) {
      const abs = join(dir, entry);
      let st;
      try {
        st = lstatSync(abs);
      } catch (err: unknown) {
        unreadable.push({ path: relative(root, abs), error: errorText(err) });
        continue;
      }
      if (st.isSymbolicLink()) {
        links.push(relative(root, abs));
        continue;
      }
      if (st.isDirectory()) {
        if (depth < maxDepth && entry !== 'node_modules' && entry !== '.git') visit(abs, depth + 1);
        continue;
      }
      if (st.isFile() && !SIDE_FILE.test(entry)) files.push(relative(root, abs));
    }
  };
  visit(root, 0);
  return { files, links, unreadable };
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined ? `${e.code}: ${e.message}` : String(err);
}
