import Database from 'better-sqlite3';
import { chmodSync, closeSync, cpSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli.js';
import { PEER_CORPUS, PEER_CORPUS_MISSING, peerCorpusTitle, tempDir } from '../../../helpers/files.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase } from '../../../helpers/pg.js';

/**
 * `--auto` (DESIGN's "map" step): any SQLite file migrates from its own
 * schema, through the CLI alone. Before, the CLI had no such flag: a file that
 * was not Aragora's could not be migrated without writing its mapping first.
 * And verify, given a mapping set that maps none of a run's tables, passed the
 * run as exact over no table at all (exit 0).
 */
describe.skipIf(PEER_CORPUS_MISSING !== null)(peerCorpusTitle('--auto on files from pgloader’s test suite'), () => {
  it('plan, migrate and verify map every table from its schema; verify without --auto refuses; rollback undoes it', async () => {
    const dataDir = tempDir('auto');
    for (const f of ['Chinook_Sqlite.sqlite', 'my db.sqlite']) cpSync(join(PEER_CORPUS, f), join(dataDir, f));
    const db = await createTestDatabase('auto');
    try {
      const args = ['--data-dir', dataDir, '--database-url', db.url];
      const plan = runCli(['plan', '--auto', '--json', '-', ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      const planned = JSON.parse(plan.stdout) as { tables: { target: string; rowsLoaded: number }[] };
      expect(planned.tables.find((t) => t.target === 'public.InvoiceLine')?.rowsLoaded).toBe(2240);
      expect(planned.tables.find((t) => t.target === 'public.greetings')?.rowsLoaded).toBe(3);
      // The runbook's commands keep --auto: without it migrate refuses these files (below) and verify the run.
      const runbook = (planned as unknown as { runbook: string[] }).runbook.join('\n');
      expect(runbook).toMatch(/aragora-migrate migrate .*--auto/);
      expect(runbook).toMatch(/aragora-migrate verify .*--auto/);

      // Without --auto nothing of these files is mapped: refused, as for any data dir with no store.
      expect(runCli(['migrate', ...args]).code).toBe(5);

      const migrate = runCli(['migrate', '--auto', '--json', '-', ...args]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);
      const report = JSON.parse(migrate.stdout) as { runId: string; verification: { ok: boolean; tables: unknown[] } };
      expect(report.verification.ok).toBe(true);
      expect(report.verification.tables).toHaveLength(12);

      const unmapped = runCli(['verify', ...args]);
      expect(unmapped.code, unmapped.stdout).toBe(2);
      expect(unmapped.stderr).toContain('VERIFY_TABLES_UNMAPPED');
      expect(runCli(['verify', '--auto', ...args]).code).toBe(0);

      const rollback = runCli(['rollback', '--run', report.runId, '--yes', '--database-url', db.url]);
      expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
      const left = await withPg(db.url, async (c) =>
        Number(
          (await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0]?.n,
        ),
      );
      expect(left).toBe(0);
      // Nothing of it is left: verify refuses, rather than report every row missing (exit 4).
      const after = runCli(['verify', '--auto', '--run', report.runId, ...args]);
      expect(after.code, after.stdout).toBe(2);
      expect(after.stderr).toContain('VERIFY_RUN_ROLLED_BACK');
    } finally {
      await db.drop();
    }
  });

  it('fits each column to the values the file holds: nothing is rejected only because SQLite let a column hold what its declared type does not say', async () => {
    const dataDir = tempDir('auto-values');
    cpSync(join(PEER_CORPUS, 'sqlite.db'), join(dataDir, 'sqlite.db'));
    const db = await createTestDatabase('auto');
    try {
      const args = ['--auto', '--data-dir', dataDir, '--database-url', db.url];
      const plan = runCli(['plan', '--json', '-', ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      const migrate = runCli(['migrate', ...args]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);
      await withPg(db.url, async (c) => {
        const rows = async (sql: string): Promise<unknown[][]> =>
          (await c.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
        // id integer auto_increment primary key: not the rowid, and NULL in every row: keyed by the rowid instead.
        expect(await rows('SELECT id, ticket FROM autoinc ORDER BY sqlite_rowid')).toEqual([
          [null, 'a'],
          [null, 'b'],
          [null, 'c'],
        ]);
        // Declared "intege" (integer affinity) holding an integer, a text and a real: text, as SQLite prints each.
        expect(await rows('SELECT id FROM intege ORDER BY sqlite_rowid')).toEqual([['1'], ['toto'], ['12.3']]);
        // DATETIME holding integers beside a date text: text.
        expect(await rows('SELECT "StartTime", "EndTime" FROM stamps ORDER BY sqlite_rowid')).toEqual([
          ['0', '0'],
          ['2014-07-30 16:18:51', '2024'],
          [null, null],
        ]);
      });
    } finally {
      await db.drop();
    }
  });
});

describe.skipIf(PEER_CORPUS_MISSING !== null)(peerCorpusTitle('migrate --auto --no-verify'), () => {
  it('ends with a verify command that, pasted as printed, verifies the run', async () => {
    // A space and a quote in the path: the printed command quotes them for the shell.
    const dataDir = join(tempDir('auto-next'), "web a's data");
    mkdirSync(dataDir);
    cpSync(join(PEER_CORPUS, 'my db.sqlite'), join(dataDir, 'my db.sqlite'));
    const db = await createTestDatabase('auto');
    try {
      const migrate = runCli([
        'migrate',
        '--auto',
        '--no-verify',
        '--source-timezone',
        'Europe/Berlin',
        '--data-dir',
        dataDir,
        '--database-url',
        db.url,
      ]);
      expect(migrate.code, migrate.stderr).toBe(0);
      const next = /^next: (aragora-migrate verify .*)$/m.exec(migrate.stdout)?.[1];
      expect(next, migrate.stdout).toBeDefined();
      // verify converts naive times in the zone migrate did.
      expect(next).toContain('--source-timezone Europe/Berlin');
      const [, ...args] = shellWords(next ?? '');
      const verify = runCli([...args, '--database-url', db.url]);
      expect(verify.code, verify.stderr + verify.stdout).toBe(0);
      expect(verify.stdout).toMatch(/verified: every table holds exactly the source rows/);
    } finally {
      await db.drop();
    }
  });
});

/** The words of a command line as a POSIX shell splits them: plain characters, single-quoted parts and backslash escapes. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/(?:[^\s'\\]+|'[^']*'|\\.)+/g)].map((m) =>
    m[0].replace(
      /'([^']*)'|\\(.)/g,
      (_all, quoted: string | undefined, escaped: string | undefined) => quoted ?? escaped ?? '',
    ),
  );
}

describe.skipIf(PEER_CORPUS_MISSING !== null)(peerCorpusTitle('--auto on a damaged file'), () => {
  it('plan reports the file damaged and migrate refuses it (SOURCE_CORRUPT, exit 5), instead of an internal error', async () => {
    const dataDir = tempDir('auto-damaged');
    const path = join(dataDir, 'chinook.sqlite');
    cpSync(join(PEER_CORPUS, 'Chinook_Sqlite.sqlite'), path);
    chmodSync(path, 0o644);
    // 300 bytes of 0xff over a table b-tree page: the schema still reads, the table's rows do not.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(300, 0xff), 0, 300, 4096 * 100 + 200);
    closeSync(fd);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('quick_check', { simple: true })).not.toBe('ok');
    check.close();

    const plan = runCli(['plan', '--auto', '--data-dir', dataDir]);
    expect(plan.code, plan.stderr).toBe(5);
    expect(plan.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(plan.stdout).toMatch(/chinook\.sqlite: corrupt_file/);
    expect(plan.stdout).toContain('NO-GO');

    const db = await createTestDatabase('auto');
    try {
      const migrate = runCli(['migrate', '--auto', '--data-dir', dataDir, '--database-url', db.url]);
      expect(migrate.code, migrate.stderr).toBe(5);
      expect(migrate.stderr).toContain('SOURCE_CORRUPT');
      expect(migrate.stderr).toContain('chinook.sqlite is damaged');
      expect(migrate.stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      await db.drop();
    }
  });
});

/** The flags of an --auto command on one instance's data dir. */
function autoArgs(dir: string, instance: string, url: string): string[] {
  return ['--auto', '--data-dir', dir, '--instance', instance, '--database-url', url];
}

describe('a second --auto instance whose keys the target holds (the fail policy)', () => {
  it('is refused before its run is created, as plan says, with nothing of it loaded', async () => {
    const file = (rows: { t1: string; t2: string }): string => {
      const dir = tempDir('auto-fail');
      const db = new Database(join(dir, 'x.db'));
      db.exec(`CREATE TABLE t1 (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE t2 (id INTEGER PRIMARY KEY, v TEXT);
        INSERT INTO t1 VALUES ${rows.t1}; INSERT INTO t2 VALUES ${rows.t2};`);
      db.close();
      return dir;
    };
    const a = file({ t1: "(1, 'a'), (2, 'b')", t2: "(1, 'a'), (2, 'b')" });
    // t1's rows are new; t2's row 2 is a's too.
    const b = file({ t1: "(3, 'c'), (4, 'd')", t2: "(2, 'B'), (5, 'e')" });
    const db = await createTestDatabase('auto');
    try {
      const args = (dir: string, instance: string): string[] => autoArgs(dir, instance, db.url);
      expect(runCli(['migrate', ...args(a, 'a')]).code).toBe(0);
      const plan = runCli(['plan', ...args(b, 'b')]);
      expect(plan.code).toBe(5);
      expect(plan.stdout).toMatch(/t2: key_conflict x1: .*migrate refuses: TARGET_CONFLICT/);

      const migrate = runCli(['migrate', ...args(b, 'b')]);
      expect(migrate.code, migrate.stderr + migrate.stdout).toBe(5);
      expect(migrate.stderr).toContain('TARGET_CONFLICT');
      expect(migrate.stderr).toMatch(/x\.db t2: .*the first: 2\); nothing was loaded/);
      await withPg(db.url, async (c) => {
        expect((await c.query('SELECT id FROM t1 ORDER BY id')).rows.map((r) => Number(r.id))).toEqual([1, 2]);
        const runs = await c.query('SELECT instance FROM aragora_migrate.runs');
        expect(runs.rows.map((r) => r.instance)).toEqual(['a']);
      });
    } finally {
      await db.drop();
    }
  });
});

describe('two --auto instances whose files key the same table differently (a NULL in one of them)', () => {
  // --auto keyed each file by its own values: a TEXT PRIMARY KEY holding a
  // NULL by the rowid, one without by the column. The second instance then
  // loaded into the first one's table under another key than the table's:
  // plan said GO where migrate stopped on the primary key (TARGET_CONSTRAINT),
  // and rollback, telling the rows by the table's key, found them "deleted
  // since" (exit 5), or crashed on a name read as a rowid (exit 1). Now a
  // table the target holds keeps its key (src/pipeline/shared/auto-mappings.ts).
  const file = (rows: string): string => {
    const dir = tempDir('auto-keys');
    const db = new Database(join(dir, 'tags.db'));
    db.exec(`CREATE TABLE tags (name TEXT, n INTEGER, PRIMARY KEY (name)); INSERT INTO tags VALUES ${rows};`);
    db.close();
    return dir;
  };
  const noNull = file("('x', 1), ('y', 2)");
  const withNull = file("('w', 11), (NULL, 20), ('z', 30)");

  for (const [first, second, keyedBy] of [
    [noNull, withNull, 'name'],
    [withNull, noNull, 'sqlite_rowid'],
  ] as const)
    it(`the second loads under the first one's key (${keyedBy}), as plan says; verify passes, and rollback, second then first, leaves nothing`, async () => {
      const db = await createTestDatabase('auto');
      try {
        const args = (dir: string, instance: string): string[] => autoArgs(dir, instance, db.url);
        const runs: string[] = [];
        for (const [dir, instance] of [
          [first, 'one'],
          [second, 'two'],
        ] as const) {
          const plan = runCli(['plan', ...args(dir, instance)]);
          const migrate = runCli(['migrate', '--json', '-', ...args(dir, instance)]);
          expect(migrate.code, migrate.stderr).toBe(plan.code);
          expect([0, 3]).toContain(migrate.code);
          runs.push((JSON.parse(migrate.stdout) as { runId: string }).runId);
          const verify = runCli(['verify', ...args(dir, instance)]);
          expect(verify.code, verify.stdout).toBe(0);
        }
        await withPg(db.url, async (c) => {
          const key = await c.query<{ name: string }>(
            `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
              WHERE i.indrelid = 'tags'::regclass AND i.indisprimary`,
          );
          expect(key.rows.map((r) => r.name)).toEqual([keyedBy]);
          // Under the name, the NULL-named row is rejected; under the rowid, every row loads.
          const names = (await c.query<{ name: string | null }>('SELECT name FROM tags ORDER BY name')).rows;
          expect(names.map((r) => r.name)).toEqual(
            keyedBy === 'name' ? ['w', 'x', 'y', 'z'] : ['w', 'x', 'y', 'z', null],
          );
        });
        for (const runId of runs.reverse()) {
          const rollback = runCli(['rollback', '--run', runId, '--yes', '--database-url', db.url]);
          expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
        }
        await withPg(db.url, async (c) => {
          expect((await c.query("SELECT to_regclass('tags') AS t")).rows[0]?.t).toBeNull();
        });
      } finally {
        await db.drop();
      }
    });
});

describe('--auto fits integers to the types that hold them', () => {
  it('a BOOLEAN column holding 2 loads as bigint, one holding only 0 and 1 as boolean, every value as it is; rolled back after the table was dropped by hand', async () => {
    const dataDir = tempDir('auto-ints');
    const file = new Database(join(dataDir, 'flags.db'));
    file.exec(`CREATE TABLE flags (id INTEGER PRIMARY KEY, done BOOLEAN, ok BOOLEAN, score REAL);
      INSERT INTO flags VALUES (1, 0, 1, 1.5), (2, 2, 0, 2), (3, NULL, NULL, NULL);`);
    file.close();
    const db = await createTestDatabase('auto');
    try {
      const args = ['--auto', '--data-dir', dataDir, '--database-url', db.url];
      const plan = runCli(['plan', '--json', '-', ...args]);
      expect(plan.code, plan.stderr + plan.stdout.slice(-1500)).toBe(0);
      const migrate = runCli(['migrate', '--json', '-', ...args]);
      expect(migrate.code, migrate.stderr + migrate.stdout.slice(-1500)).toBe(0);
      const { runId } = JSON.parse(migrate.stdout) as { runId: string };
      await withPg(db.url, async (c) => {
        const types = await c.query<{ column_name: string; data_type: string }>(
          "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'flags' ORDER BY ordinal_position",
        );
        expect(types.rows.map((r) => `${r.column_name} ${r.data_type}`)).toEqual([
          'id bigint',
          'done bigint',
          'ok boolean',
          'score double precision',
        ]);
        const rows = await c.query({
          text: 'SELECT id, done::text, ok::text, score::text FROM flags ORDER BY id',
          rowMode: 'array',
        });
        expect(rows.rows).toEqual([
          ['1', '0', 'true', '1.5'],
          ['2', '2', 'false', '2'],
          ['3', null, null, null],
        ]);
        // Dropped by hand: a table no mapping names and with no key left to tell its rows by.
        await c.query('DROP TABLE flags');
      });
      // Before, rollback stopped with ROLLBACK_NO_MAPPING: now nothing is left to undo there, and it says so.
      const rollback = runCli(['rollback', '--run', runId, '--yes', '--database-url', db.url]);
      expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
      expect(runCli(['status', '--database-url', db.url]).stdout).toMatch(new RegExp(`${runId}\\s+rolled-back`));
    } finally {
      await db.drop();
    }
  });
});

describe('a second --auto file that declares another key than the table the first one created', () => {
  // The first file's `xmin INTEGER PRIMARY KEY` loads as sqlite_xmin, the table's key.
  // A second file declaring `v` its key, with a NULL there, was keyed by its rowid: a
  // column the run added to the table, so its rows met none of the table's keys. plan
  // said GO where migrate stopped on things_pkey (TARGET_CONSTRAINT), and verify called
  // the first run's rows "written by no run". A second file without the key's column
  // at all crashed plan (exit 1, column "sqlite_rowid" does not exist).
  const file = (name: string, ddl: string, rows: string): string => {
    const dir = tempDir(name);
    const db = new Database(join(dir, 'things.db'));
    db.exec(`${ddl}; INSERT INTO things VALUES ${rows};`);
    db.close();
    return dir;
  };
  const first = file('auto-first', 'CREATE TABLE things (xmin INTEGER PRIMARY KEY, v TEXT)', "(1, 'a'), (2, 'b')");
  const byV = 'CREATE TABLE things (v TEXT PRIMARY KEY, xmin INT)';

  for (const c of [
    { label: 'its ids new', rows: "('c', 3), (NULL, 5), ('d', 4)", code: 0, finding: null },
    { label: 'an id the table holds', rows: "('c', 1), (NULL, 5), ('d', 4)", code: 5, finding: 'TARGET_CONFLICT' },
  ])
    it(`${c.label}: keyed by the table's key, as plan says; nothing added to the table`, async () => {
      const db = await createTestDatabase('auto');
      try {
        const args = (dir: string, instance: string): string[] => autoArgs(dir, instance, db.url);
        expect(runCli(['migrate', ...args(first, 'a')]).code).toBe(0);
        const second = file('auto-second', byV, c.rows);
        const plan = runCli(['plan', ...args(second, 'b')]);
        const migrate = runCli(['migrate', ...args(second, 'b')]);
        expect([plan.code, migrate.code], plan.stdout + migrate.stderr).toEqual([c.code, c.code]);
        if (c.finding !== null) {
          expect(plan.stdout).toMatch(
            new RegExp(`things: key_conflict x1: .*migrate refuses: ${c.finding}\\)\\s+e\\.g\\. 1`),
          );
          expect(migrate.stderr).toMatch(/TARGET_CONFLICT: things\.db things: .*\(the first: 1\); nothing was loaded/);
        } else {
          const verify = runCli(['verify', ...args(second, 'b')]);
          expect(verify.code, verify.stdout).toBe(0);
          expect(verify.stdout).not.toMatch(/written by no run/);
        }
        await withPg(db.url, async (pg) => {
          const columns = await pg.query<{ c: string }>(
            "SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'things' ORDER BY ordinal_position",
          );
          expect(columns.rows.map((r) => r.c)).toEqual(['sqlite_xmin', 'v']);
          const ids = await pg.query<{ id: string }>('SELECT sqlite_xmin::text AS id FROM things ORDER BY 1');
          expect(ids.rows.map((r) => r.id)).toEqual(c.code === 0 ? ['1', '2', '3', '4', '5'] : ['1', '2']);
        });
      } finally {
        await db.drop();
      }
    });

  for (const c of [
    {
      label: 'without the column of the table’s key',
      ddl: 'CREATE TABLE things (v TEXT PRIMARY KEY, w INT)',
      rows: "('c', 3), (NULL, 5)",
      why: /sqlite_xmin .*NOT NULL with no default.*migrate refuses: TARGET_INCOMPATIBLE/,
    },
    {
      // plan asked the table for these keys cast to bigint: exit 1, "invalid input syntax for type bigint".
      label: 'with reals in the column of the table’s key',
      ddl: 'CREATE TABLE things (v TEXT PRIMARY KEY, xmin REAL)',
      rows: "('c', 1.5), ('d', 4)",
      why: /sqlite_xmin is bigint; the mapping writes double precision \(migrate refuses: TARGET_INCOMPATIBLE\)/,
    },
  ])
    it(`${c.label}: plan and migrate refuse alike (TARGET_INCOMPATIBLE, exit 5)`, async () => {
      const db = await createTestDatabase('auto');
      try {
        const args = (dir: string, instance: string): string[] => autoArgs(dir, instance, db.url);
        expect(runCli(['migrate', ...args(first, 'a')]).code).toBe(0);
        const second = file('auto-nokey', c.ddl, c.rows);
        const plan = runCli(['plan', ...args(second, 'b')]);
        expect(plan.code, plan.stderr).toBe(5);
        expect(plan.stdout).toMatch(c.why);
        const migrate = runCli(['migrate', ...args(second, 'b')]);
        expect(migrate.code, migrate.stderr).toBe(5);
        expect(migrate.stderr).toContain('TARGET_INCOMPATIBLE');
      } finally {
        await db.drop();
      }
    });

  it('a first file whose own text column is named sqlite_rowid, a second keyed by its rowid: refused alike, not an internal error', async () => {
    // The second file's rowid loads as sqlite_rowid, the name of the table's key: its new ids
    // were sought in a text column (exit 1, "COALESCE types text and integer cannot be matched").
    const db = await createTestDatabase('auto');
    try {
      const args = (dir: string, instance: string): string[] => autoArgs(dir, instance, db.url);
      const one = file('auto-rowid-a', 'CREATE TABLE things (sqlite_rowid TEXT PRIMARY KEY, v TEXT)', "('k1', 'a')");
      expect(runCli(['migrate', ...args(one, 'a')]).code).toBe(0);
      const two = file('auto-rowid-b', 'CREATE TABLE things (v TEXT)', "('b'), ('c')");
      const plan = runCli(['plan', ...args(two, 'b')]);
      expect(plan.code, plan.stderr).toBe(5);
      expect(plan.stdout).toMatch(/things\.sqlite_rowid is text; the mapping gives its rows ids from a sequence/);
      const migrate = runCli(['migrate', ...args(two, 'b')]);
      expect(migrate.code, migrate.stderr).toBe(5);
      expect(migrate.stderr).toContain('TARGET_INCOMPATIBLE');
    } finally {
      await db.drop();
    }
  });
});
