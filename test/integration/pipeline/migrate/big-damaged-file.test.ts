import { openSync, writeSync, closeSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CHECK_BEFORE_LOAD_BYTES } from '../../../../src/pipeline/shared/integrity.js';
import { autoMappedSource, sourceArgs } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { withPg } from '../../../helpers/migrate.js';
import { useTestDatabase } from '../../../helpers/pg.js';

/**
 * A file above CHECK_BEFORE_LOAD_BYTES is checked by SQLite's quick_check
 * while the load runs, not before (src/pipeline/migrate/migrate.ts,
 * startSourceChecks): its check starts once the files are hashed. Damage that
 * a scan in rowid order never reads (an index's page) must still fail the
 * run before the table is marked loaded, whatever the order the check and
 * the load finish in.
 */
const pg = useTestDatabase('big_damaged_file');

describe('a big file whose index is damaged', () => {
  it('fails the run with SOURCE_CORRUPT (exit 5) and never marks its table loaded', async () => {
    const source = autoMappedSource('big-damaged', 'b.db', (db) =>
      db.exec(`
        CREATE TABLE t (id INTEGER PRIMARY KEY, tag TEXT, note TEXT, payload BLOB);
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 70000)
          INSERT INTO t SELECT i, 'tag' || (i % 97), hex(randomblob(100)), randomblob(800) FROM c;
        CREATE INDEX t_tag ON t (tag);
        CREATE INDEX t_note ON t (note);
      `),
    );
    expect(statSync(source.path).size).toBeGreaterThan(CHECK_BEFORE_LOAD_BYTES);
    const db = new Database(source.path, { readonly: true });
    const root = db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 't_tag'`).pluck().get() as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    // The index's root page, past its header: the rowid scan and count(*) (over t_note) never read it.
    const fd = openSync(source.path, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, (root - 1) * pageSize + 8);
    closeSync(fd);

    const migrate = runCli(['migrate', ...sourceArgs(source, pg.url)]);
    expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(5);
    const said = migrate.stdout + migrate.stderr;
    expect(said).toContain('SOURCE_CORRUPT');
    expect(said).toContain(`page ${root}`);
    const ledger = await withPg(pg.url, async (c) => ({
      runs: (await c.query('SELECT state, exit_code FROM aragora_migrate.runs')).rows,
      tables: (await c.query('SELECT state FROM aragora_migrate.run_tables')).rows.map((r) => r.state as string),
    }));
    expect(ledger.runs).toEqual([{ state: 'failed', exit_code: 5 }]);
    expect(ledger.tables).not.toContain('loaded');
  });
});
