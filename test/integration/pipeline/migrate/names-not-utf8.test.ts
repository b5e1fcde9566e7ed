import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { useTestDatabase } from '../../../helpers/pg.js';

/**
 * A table or column name stored with bytes that are not UTF-8 reads back with
 * U+FFFD in their place, a name SQLite then does not know. Such a table used to
 * make the whole file "corrupt", so its other tables could not be migrated
 * either. Now it is listed as skipped, and refused (SOURCE_NAME_NOT_UTF8) by
 * plan and migrate alike when a mapping names it; the other tables load.
 */
const pg = useTestDatabase('names_not_utf8');

/** A file with a good table and two whose names hold the byte 0xff, written in place of a marker of the same length. */
function makeFile(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'names.db');
  const db = new Database(path);
  db.exec(`CREATE TABLE ok (id INTEGER PRIMARY KEY, v TEXT);
           INSERT INTO ok VALUES (1, 'x'), (2, 'y');
           CREATE TABLE "badQname" (id INTEGER PRIMARY KEY, v TEXT);
           INSERT INTO "badQname" VALUES (1, 'lost?');
           CREATE TABLE cols (id INTEGER PRIMARY KEY, "cQl" TEXT);
           INSERT INTO cols VALUES (1, 'z');`);
  db.close();
  const bytes = readFileSync(path);
  for (const marker of ['badQname', 'cQl']) {
    const from = Buffer.from(marker);
    for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 1))
      bytes[at + marker.indexOf('Q')] = 0xff;
  }
  writeFileSync(path, bytes);
}

function mappingSet(dir: string, tables: readonly { source: string; column: string }[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'names.json'),
    JSON.stringify({
      name: 'names',
      files: { legacy: ['names.db'] },
      tables: tables.map((t) => ({
        source: t.source,
        target: t.source === 'ok' ? 'ok' : 'other',
        key: ['id'],
        conflict: { policy: 'fail' },
        columns: [
          { name: 'id', type: 'bigint', nullable: false },
          { name: t.column, target: 'v', type: 'text' },
        ],
      })),
    }),
  );
}

describe('source names that are not valid UTF-8', () => {
  const dir = tempDir('names-not-utf8');
  makeFile(dir);
  const args = (maps: string): string[] => ['--data-dir', dir, '--mappings', maps, '--database-url', pg.url];

  it('tables whose names cannot be read do not stop the file: listed as skipped, the others migrate', () => {
    const maps = tempDir('names-ok');
    mappingSet(maps, [{ source: 'ok', column: 'v' }]);
    const plan = runCli(['plan', ...args(maps)]);
    expect(plan.code, plan.stderr + plan.stdout).toBe(0);
    expect(plan.stdout).toMatch(
      /its name or a column name is not valid UTF-8.*\(2 tables\):\n\s+bad\uFFFDname, cols in names\.db/,
    );
    const migrate = runCli(['migrate', ...args(maps)]);
    expect(migrate.code, migrate.stderr + migrate.stdout).toBe(0);
    expect(migrate.stdout).toMatch(/names\.db ok\s+public\.ok\s+2\s+2 /);
  });

  for (const named of [
    { source: 'bad\uFFFDname', column: 'v' },
    { source: 'cols', column: 'c\uFFFDl' },
  ]) {
    it(`a mapping that names ${named.source}: plan and migrate refuse with SOURCE_NAME_NOT_UTF8`, () => {
      const maps = tempDir('names-mapped');
      mappingSet(maps, [{ source: 'ok', column: 'v' }, named]);
      const plan = runCli(['plan', ...args(maps)]);
      expect(plan.code, plan.stderr + plan.stdout).toBe(5);
      expect(plan.stdout).toMatch(/BLOCK {2}names\.db \S+: name_not_utf8 .*\(migrate refuses: SOURCE_NAME_NOT_UTF8\)/);
      const migrate = runCli(['migrate', ...args(maps)]);
      expect(migrate.code, migrate.stderr + migrate.stdout).toBe(5);
      expect(migrate.stderr).toMatch(/SOURCE_NAME_NOT_UTF8: the migration cannot proceed/);
    });
  }
});
