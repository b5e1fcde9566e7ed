import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { autoTable } from '../../src/source/auto-mapping.js';
import { inventory } from '../../src/source/inventory.js';

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
