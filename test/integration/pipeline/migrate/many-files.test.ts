import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * A data dir of many files. Each file's integrity check ran on a worker of its
 * own, all at once, and each left a listener on the run's one stop signal:
 * past ten files migrate printed Node's "MaxListenersExceededWarning:
 * Possible EventTarget memory leak detected" among its output.
 */
describe('a data dir of many SQLite files', () => {
  it('migrates every file with no warning from Node', async () => {
    const dataDir = tempDir('many-files');
    const FILES = 24;
    for (let f = 0; f < FILES; f++) {
      const db = new Database(join(dataDir, `store_${f}.db`));
      db.exec(`CREATE TABLE notes_${f} (id INTEGER PRIMARY KEY, body TEXT)`);
      const insert = db.prepare(`INSERT INTO notes_${f} (body) VALUES (?)`);
      for (let i = 0; i < 20 + f; i++) insert.run(`note ${i} of file ${f}`);
      db.close();
    }
    const db = await createTestDatabase('many_files');
    try {
      const res = runCli(['migrate', '--auto', '--data-dir', dataDir, '--database-url', db.url, '--instance', 'a']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).not.toMatch(/Warning/);
      const counts = await withPg(db.url, async (c) =>
        Promise.all(
          Array.from({ length: FILES }, async (_, f) =>
            Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM notes_${f}`)).rows[0]?.n),
          ),
        ),
      );
      expect(counts).toEqual(Array.from({ length: FILES }, (_, f) => 20 + f));
    } finally {
      await db.drop();
    }
  });
});
