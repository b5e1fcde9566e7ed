import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const SIDE_FILE = /-(wal|shm|journal)$/;
/** Names an operator would expect to be databases: reported even when they are not SQLite. */
export const DB_NAME = /\.(db|sqlite|sqlite3|db3)$/i;

/**
 * Every regular file under `root`, depth-first, sorted, at most `maxDepth`
 * folders down. Symlinks are never followed: a link could lead out of the data
 * dir, and the same file reached twice would be migrated twice.
 */
export function walkDataDir(root: string, maxDepth = 4): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number): void => {
    for (const entry of readdirSync(dir).sort()) {
      const abs = join(dir, entry);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) {
        if (depth < maxDepth && entry !== 'node_modules' && entry !== '.git') visit(abs, depth + 1);
        continue;
      }
      if (st.isFile() && !SIDE_FILE.test(entry)) out.push(relative(root, abs));
    }
  };
  visit(root, 0);
  return out;
}
