import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoMappedSource, sourceArgs } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * rollback tells a table's rows by the key the mapping set it is given names,
 * or, for a table that set does not map, by the table's primary key. A run
 * migrated with a mapping whose key is not the primary key, rolled back
 * without that mapping, met keys it could not read as the primary key's type
 * (a name is no bigint), and stopped with an internal error (exit 1).
 */
describe('rollback without the mapping set the run was migrated with', () => {
  it('refuses with ROLLBACK_NO_MAPPING (exit 2), changing nothing; with it, rolls the run back', async () => {
    const source = autoMappedSource('other-mappings', 'people.db', (db) => {
      db.exec(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO people VALUES (1, 'ann'), (2, 'bob');",
      );
    });
    // Keyed by name across instances; the target's primary key stays id.
    const file = join(source.maps, 'people.json');
    const set = JSON.parse(readFileSync(file, 'utf8')) as { tables: Record<string, unknown>[] };
    set.tables = set.tables.map((t) => ({ ...t, key: ['name'], primaryKey: ['id'] }));
    writeFileSync(file, JSON.stringify(set));
    const db = await createTestDatabase('rollback-other-mappings');
    try {
      const migrate = runCli(['migrate', '--json', '-', ...sourceArgs(source, db.url)]);
      expect(migrate.code, migrate.stderr).toBe(0);
      const runId = (JSON.parse(migrate.stdout) as { runId: string }).runId;

      const without = runCli(['rollback', '--run', runId, '--yes', '--database-url', db.url]);
      expect(without.code, without.stderr + without.stdout).toBe(2);
      expect(without.stderr).toMatch(
        /error ROLLBACK_NO_MAPPING: the keys run \S+ recorded for people are not values of the key rollback tells its rows by \(id bigint\)/,
      );
      expect(without.stderr).toContain('hint: Pass the same --mappings folder the run was migrated with.');
      await withPg(db.url, async (c) => {
        expect((await c.query('SELECT name FROM people ORDER BY id')).rows.map((r) => r.name)).toEqual(['ann', 'bob']);
      });

      const withIt = runCli(['rollback', '--run', runId, '--yes', '--database-url', db.url, '--mappings', source.maps]);
      expect(withIt.code, withIt.stderr + withIt.stdout).toBe(0);
      await withPg(db.url, async (c) => {
        expect((await c.query("SELECT to_regclass('people') AS t")).rows[0]?.t).toBeNull();
      });
    } finally {
      await db.drop();
    }
  });
});
