import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { autoTable } from '../../src/source/auto-mapping.js';
import { inventory } from '../../src/source/inventory.js';
import { loadMappingSet, type MappingSet } from '../../src/mapping/load.js';
import type { Conflict } from '../../src/mapping/schema.js';
import { tempDir } from './files.js';

/** A SQLite file in a folder of its own, with its auto-mapping (writeAutoMapping) in another. */
export interface AutoMappedSource {
  readonly dir: string;
  readonly maps: string;
  readonly path: string;
}

/**
 * The SQLite file `name` (`x.db`) that `build` fills, in one transaction, in a
 * temporary folder of its own, and its auto-mapping, store `x`, in another.
 */
export function autoMappedSource(
  prefix: string,
  name: string,
  build: (db: Database.Database) => void,
): AutoMappedSource {
  const dir = tempDir(prefix);
  const maps = tempDir(`${prefix}-maps`);
  const path = join(dir, name);
  const db = new Database(path);
  try {
    db.transaction(() => build(db))();
  } finally {
    db.close();
  }
  writeAutoMapping(maps, basename(name, '.db'), prefix, path);
  return { dir, maps, path };
}

/** The flags that point a command at a source's data dir and mappings, and at a target. */
export function sourceArgs(source: Pick<AutoMappedSource, 'dir' | 'maps'>, url: string): string[] {
  return ['--data-dir', source.dir, '--mappings', source.maps, '--database-url', url];
}

/**
 * Writes `<mappingDir>/<name>.json`: a mapping set for one SQLite file, every
 * table as the auto-mapping derives it from the file's schema (the generic path).
 */
export function writeAutoMapping(mappingDir: string, name: string, description: string, dbPath: string): void {
  const src = new Database(dbPath, { readonly: true });
  const tables = inventory(src)
    .filter((o) => o.type === 'table')
    .map(autoTable);
  src.close();
  mkdirSync(mappingDir, { recursive: true });
  writeFileSync(
    join(mappingDir, `${name}.json`),
    JSON.stringify({ name, description, files: { legacy: [basename(dbPath)] }, tables }, null, 2),
  );
}

/**
 * The auto-mapping `<mappingDir>/<name>.json` (writeAutoMapping) with every
 * table under `conflict` instead, loaded from a folder of its own.
 */
export function withConflict(mappingDir: string, name: string, conflict: Conflict): MappingSet {
  const set = JSON.parse(readFileSync(join(mappingDir, `${name}.json`), 'utf8')) as {
    tables: { conflict?: unknown }[];
  };
  for (const t of set.tables) t.conflict = conflict;
  const dir = tempDir(`${name}-${conflict.policy}`);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(set));
  const loaded = loadMappingSet(dir);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded));
  return loaded.value;
}
