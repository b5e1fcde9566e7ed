import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateInstance, type FixtureManifest, type GenerateOptions } from '../../fixtures/generate.js';
import type { MappingSet } from '../../src/mapping/load.js';
import { formatKey } from '../../src/util/keys.js';
import { tempDir } from './files.js';

/** A generated Aragora data dir in a fresh temp folder. */
export function makeInstance(opts: Omit<GenerateOptions, 'dir'>): FixtureManifest {
  const dir = join(tempDir(`fx-${opts.instance}`), 'data');
  return generateInstance({ ...opts, dir });
}

/** Runs `fn` on a private copy of a data-dir file (with its -wal), so the source is never opened. */
export function withCopy<T>(dir: string, file: string, fn: (db: Database.Database) => T): T {
  const tmp = mkdtempSync(join(tmpdir(), 'am-copy-'));
  try {
    copyFileSync(join(dir, file), join(tmp, 'f.db'));
    if (existsSync(join(dir, `${file}-wal`))) copyFileSync(join(dir, `${file}-wal`), join(tmp, 'f.db-wal'));
    const db = new Database(join(tmp, 'f.db'));
    db.defaultSafeIntegers(true);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The fixture manifest keys rows by their SQLite primary key; reports key them
 * by the mapping's natural key (matches by debate_id). Translate one to the other.
 */
export function naturalKey(dir: string, mappings: MappingSet, file: string, table: string, pkKey: string): string {
  const spec = mappings.bySource.get(table)?.table;
  if (spec === undefined || pkKey.startsWith('rowid:')) return pkKey;
  return withCopy(dir, file, (db) => {
    const pk = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; pk: bigint }[])
      .filter((c) => Number(c.pk) > 0)
      .sort((a, b) => Number(a.pk) - Number(b.pk))
      .map((c) => c.name);
    if (pk.length !== 1 || spec.key.join() === pk.join()) return pkKey;
    const row = db
      .prepare(`SELECT rowid, ${spec.key.map((k) => `"${k}"`).join(', ')} FROM "${table}" WHERE "${pk[0] ?? ''}" = ?`)
      .raw(true)
      .get(pkKey) as unknown[] | undefined;
    return row === undefined ? pkKey : formatKey(row.slice(1), row[0] as bigint);
  });
}
