import Database from 'better-sqlite3';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { inventory } from '../../src/source/inventory.js';
import { autoTable } from '../../src/source/auto-mapping.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { makeInstance } from '../helpers/fixtures.js';
import { withPg } from '../helpers/migrate.js';
import { createTestDatabase as createDatabase, useTestDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * Faults an operator meets: damaged files, unreadable ones, wrong paths,
 * shapes of tables SQLite allows, a server that drops the connection, a kill
 * during the final verify. Each ends in a coded error or a complete load:
 * never a stack, never a hang (every child has a deadline), never exit 0 with
 * a row missing, and plan's exit code is migrate's.
 */

const db = useTestDatabase('faults');

/** The databases the cases below make for themselves, dropped once the file is done. */
const made: TestDatabase[] = [];
async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const created = await createDatabase(prefix);
  made.push(created);
  return created;
}
afterAll(async () => {
  for (const d of made) await d.drop();
});

/** A failure the tool did not expect prints this; no case here may. */
const BUG = /This is a bug|internal error/;

function cli(args: readonly string[], opts: { asNobody?: boolean } = {}): CliResult {
  // status prints no progress, and so takes no --quiet.
  const r = runCli(args[0] === 'status' ? args : [...args, '--quiet'], {}, { ...opts, timeoutMs: 90_000 });
  expect(r.code, `no hang: ${args.join(' ')}`).not.toBeNull();
  expect(r.stderr, `no stack: ${args.join(' ')}`).not.toMatch(BUG);
  return r;
}

const errorCode = (r: CliResult): string | undefined => /error ([A-Z_]+):/.exec(r.stderr)?.[1];

/** plan, then migrate, on the same data dir: the same exit code, and the error code migrate gives. */
function planThenMigrate(
  dataDir: string,
  url: string,
  extra: readonly string[] = [],
): { plan: CliResult; migrate: CliResult } {
  const plan = cli(['plan', '--data-dir', dataDir, '--database-url', url, '--instance', 'faults', ...extra]);
  const migrate = cli([
    'migrate',
    '--data-dir',
    dataDir,
    '--database-url',
    url,
    '--instance',
    'faults',
    '--reject-dir',
    tempDir('rej'),
    ...extra,
  ]);
  expect(migrate.code, `plan predicts migrate\n${plan.stdout}\n${migrate.stderr}`).toBe(plan.code);
  return { plan, migrate };
}

async function count(url: string, sql: string): Promise<number> {
  return withPg(url, async (c) => Number((await c.query<{ n: string }>(sql)).rows[0]?.n ?? 0));
}

async function runsIn(url: string): Promise<number> {
  return withPg(url, async (c) => {
    const exists = await c.query<{ ok: boolean }>("SELECT to_regclass('aragora_migrate.runs') IS NOT NULL AS ok");
    return exists.rows[0]?.ok === true
      ? Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM aragora_migrate.runs')).rows[0]?.n)
      : 0;
  });
}

/** A fresh instance-a data dir (agent_personas.db and grounded_positions.db have nothing pending in a -wal). */
function instance(): string {
  return makeInstance({ layout: 'legacy', instance: 'a' }).dir;
}

/** The pages of `name` (a table or index) of a given type, read from a private copy (the source stays untouched). */
function pages(file: string, name: string, type: 'leaf' | 'internal'): { pages: number[]; pageSize: number } {
  const dir = tempDir('dbstat');
  copyFileSync(file, join(dir, 'f.db'));
  const d = new Database(join(dir, 'f.db'), { readonly: true });
  try {
    const found = (
      d
        .prepare('SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno')
        .pluck()
        .all(name, type) as number[]
    ).map(Number);
    return { pages: found, pageSize: Number(d.pragma('page_size', { simple: true })) };
  } finally {
    d.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeAt(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** A data dir whose only file is `name`, with `tables` made by `sql`, and a mapping folder derived from its schema. */
function genericSource(name: string, sql: string): { dataDir: string; mappings: string } {
  const dataDir = tempDir('generic');
  const file = join(dataDir, name);
  const d = new Database(file);
  d.exec(sql);
  const tables = inventory(d).filter((o) => o.type === 'table' && o.skipReason === null);
  d.close();
  const mappings = tempDir('generic-map');
  // A mapping names the tables and their keys; other columns are carried over as found.
  const specs = tables
    .map(autoTable)
    .map((t) => ({ ...t, columns: t.columns.filter((c) => Buffer.byteLength(c.name) <= 63) }));
  writeFileSync(
    join(mappings, 'generic.json'),
    JSON.stringify({ name: 'generic', files: { legacy: [name] }, tables: specs }),
  );
  return { dataDir, mappings };
}

describe('damaged source files: plan and migrate refuse alike (exit 5), before a row moves', () => {
  const damages: { name: string; damage: (dir: string) => void }[] = [
    {
      name: 'a leaf page whose cell count was lowered (rows silently missing to a plain read)',
      damage: (dir) => {
        const file = join(dir, 'agent_personas.db');
        const { pages: leaves, pageSize } = pages(file, 'performance_history', 'leaf');
        writeAt(file, ((leaves[1] as number) - 1) * pageSize + 3, Buffer.from([0, 1]));
      },
    },
    {
      name: 'an interior page pointing at a page that does not exist',
      damage: (dir) => {
        const file = join(dir, 'agent_personas.db');
        const { pages: inner, pageSize } = pages(file, 'performance_history', 'internal');
        const buf = Buffer.alloc(4);
        buf.writeUInt32BE(statSync(file).size / pageSize + 50);
        writeAt(file, ((inner[0] as number) - 1) * pageSize + 8, buf);
      },
    },
    {
      name: 'random bytes in an index page',
      damage: (dir) => {
        const file = join(dir, 'grounded_positions.db');
        const { pages: leaves, pageSize } = pages(file, 'idx_position_agent', 'leaf');
        const noise = Buffer.alloc(400);
        for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) % 251;
        writeAt(file, ((leaves[0] as number) - 1) * pageSize + 200, noise);
      },
    },
    {
      name: 'a file cut short',
      damage: (dir) => {
        const file = join(dir, 'agent_personas.db');
        truncateSync(file, Math.floor(statSync(file).size / 2));
      },
    },
    {
      name: 'a damaged header (the page size)',
      damage: (dir) => writeAt(join(dir, 'agent_personas.db'), 16, Buffer.from([0, 3])),
    },
    {
      name: 'a store file whose magic is gone',
      damage: (dir) => writeAt(join(dir, 'agent_personas.db'), 0, Buffer.from('not sqlite at all')),
    },
  ];

  it.each(damages)('$name', async ({ damage }) => {
    const dir = instance();
    damage(dir);
    const before = await runsIn(db.url);
    const { plan, migrate } = planThenMigrate(dir, db.url);
    expect(plan.code).toBe(5);
    expect(errorCode(migrate)).toBe('SOURCE_CORRUPT');
    // Refused before a row moved: no run was even created.
    expect(await runsIn(db.url)).toBe(before);
  });
});

describe('paths and permissions: coded errors, no hang', () => {
  it('a data dir that is a file: exit 2 for plan, migrate and verify', () => {
    const file = join(tempDir('not-a-dir'), 'hostname');
    writeFileSync(file, 'web-1\n');
    for (const cmd of ['plan', 'migrate']) {
      const r = cli([cmd, '--data-dir', file, '--database-url', db.url]);
      expect(r.code, cmd).toBe(2);
      expect(errorCode(r), cmd).toBe('CONFIG_DATA_DIR_NOT_DIR');
    }
  });

  it('verify with no data dir and no run: exit 2, no hang; verify --run alone finds the run and its files', async () => {
    const url = (await createTestDatabase('faults_verify')).url;
    const dir = instance();
    const m = cli([
      'migrate',
      '--data-dir',
      dir,
      '--database-url',
      url,
      '--instance',
      'v',
      '--reject-dir',
      tempDir('rej'),
    ]);
    expect(m.code).toBe(3);
    const missing = cli(['verify', '--database-url', url, '--instance', 'v'], {});
    expect(missing.code).toBe(2);
    expect(errorCode(missing)).toBe('VERIFY_NO_RUN');
    const runId = await withPg(
      url,
      async (c) => (await c.query<{ run_id: string }>('SELECT run_id FROM aragora_migrate.runs')).rows[0]?.run_id ?? '',
    );
    const byRun = cli(['verify', '--run', runId, '--database-url', url]);
    expect(byRun.code, byRun.stderr).toBe(0);
  });

  it('a data dir, a folder or a .db the user cannot read: exit 5 with a code, never a skip', async () => {
    const asRoot = process.getuid?.() === 0;
    const run = (args: string[]): CliResult => cli(args, { asNobody: asRoot });
    const open = (dir: string): void => {
      // The suite's temp dirs are private; the unprivileged user must reach into them.
      for (let d = dir; d.startsWith(tempDir('x').replace(/am-x-.*$/, '')) && d.length > 5; d = join(d, '..'))
        chmodSync(d, 0o755);
    };
    const dir = instance();
    open(dir);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
    const rej = tempDir('rej');
    chmodSync(rej, 0o777);
    const args = (cmd: string): string[] => [
      cmd,
      '--data-dir',
      dir,
      '--database-url',
      db.url,
      '--instance',
      'perm',
      ...(cmd === 'migrate' ? ['--reject-dir', rej] : []),
    ];

    chmodSync(join(dir, 'genesis.db'), 0o000);
    for (const cmd of ['plan', 'migrate']) {
      const r = run(args(cmd));
      expect(r.code, `${cmd} ${r.stderr}`).toBe(5);
      if (cmd === 'migrate') expect(errorCode(r)).toBe('SOURCE_UNREADABLE');
      else expect(r.stdout).toMatch(/source_unreadable/);
    }
    chmodSync(join(dir, 'genesis.db'), 0o644);

    const sub = join(dir, 'more');
    mkdirSync(sub);
    chmodSync(sub, 0o000);
    expect(run(args('plan')).code).toBe(5);
    rmSync(sub, { recursive: true, force: true });

    chmodSync(dir, 0o000);
    const r = run(args('migrate'));
    expect(r.code).toBe(5);
    expect(errorCode(r)).toBe('SOURCE_UNREADABLE');
    chmodSync(dir, 0o755);
  });

  it('verify after archive reads the archived copies; with them gone it refuses, never green over nothing', async () => {
    const url = (await createTestDatabase('faults_archive_verify')).url;
    const dir = instance();
    const backup = join(tempDir('backup'), 'b');
    expect(
      cli(['migrate', '--data-dir', dir, '--database-url', url, '--instance', 'arch', '--reject-dir', tempDir('rej')])
        .code,
    ).toBe(3);
    expect(
      cli(['archive', '--data-dir', dir, '--database-url', url, '--instance', 'arch', '--backup-dir', backup]).code,
    ).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.db') && f !== 'empty.db' && f !== 'notes.db')).toEqual([]);
    const verified = cli(['verify', '--data-dir', dir, '--database-url', url, '--instance', 'arch']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/continuum_memory +\d[\d,]* +\d/);
    rmSync(backup, { recursive: true, force: true });
    const gone = cli(['verify', '--data-dir', dir, '--database-url', url, '--instance', 'arch']);
    expect(gone.code).toBe(5);
    expect(errorCode(gone)).toBe('VERIFY_SOURCE_MISSING');
  });

  it('an empty data dir, or one whose only .db is a link: refused (exit 5), unless --allow-empty', () => {
    const empty = tempDir('empty');
    const { plan, migrate } = planThenMigrate(empty, db.url);
    expect(plan.code).toBe(5);
    expect(errorCode(migrate)).toBe('SOURCE_NO_STORE');
    expect(cli(['plan', '--data-dir', empty, '--database-url', db.url, '--allow-empty']).code).toBe(0);

    const linked = tempDir('linked');
    symlinkSync(join(instance(), 'agent_elo.db'), join(linked, 'agent_elo.db'));
    const r = planThenMigrate(linked, db.url);
    expect(r.plan.code).toBe(5);
    expect(r.plan.stdout).toMatch(/symlink_skipped/);
  });

  it('--json into a folder that does not exist: exit 2 before any data moves', async () => {
    const url = (await createTestDatabase('faults_json')).url;
    const r = cli([
      'migrate',
      '--data-dir',
      instance(),
      '--database-url',
      url,
      '--json',
      '/no/such/folder/report.json',
    ]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe('OUTPUT_UNWRITABLE');
    expect(await runsIn(url)).toBe(0);
  });

  it('--schema that does not exist: plan and migrate refuse with TARGET_SCHEMA_MISSING', () => {
    const { plan, migrate } = planThenMigrate(instance(), db.url, ['--schema', 'no_such_schema']);
    expect(plan.code).toBe(5);
    expect(plan.stdout).toMatch(/TARGET_SCHEMA_MISSING/);
    expect(errorCode(migrate)).toBe('TARGET_SCHEMA_MISSING');
  });

  it('reject files hold raw values: 0600 in a 0700 folder', async () => {
    const url = (await createTestDatabase('faults_rejects')).url;
    const rej = tempDir('rej-perm');
    const r = cli(['migrate', '--data-dir', instance(), '--database-url', url, '--reject-dir', rej]);
    expect(r.code).toBe(3);
    const [runDir] = readdirSync(rej);
    expect(statSync(join(rej, runDir as string)).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(join(rej, runDir as string)))
      expect(statSync(join(rej, runDir as string, f)).mode & 0o777, f).toBe(0o600);
  });
});

describe('a reject folder that cannot be made', () => {
  // Under /proc, mkdirSync's `recursive` never returned: migrate spun at 100% CPU before its first row.
  const where = [
    ...(existsSync('/proc/self') ? [['under /proc', '/proc/aragora-migrate-nope/rejects']] : []),
    ['through a file', join(tempFile('x'), 'rejects')],
    ['through a dangling link', join(danglingLink(), 'rejects')],
  ];
  it.each(where)('%s: refused at once with OUTPUT_UNWRITABLE, before anything is written', async (_, rej) => {
    const url = (await createTestDatabase('faults_reject_dir')).url;
    const r = runCli(
      ['migrate', '--quiet', '--data-dir', instance(), '--database-url', url, '--reject-dir', rej as string],
      {},
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.code, `no hang: ${r.stderr}`).toBe(2);
    expect(errorCode(r)).toBe('OUTPUT_UNWRITABLE');
    expect(r.stderr).not.toMatch(BUG);
    expect(
      await withPg(url, async (c) => (await c.query(`SELECT to_regnamespace('aragora_migrate') AS s`)).rows[0].s),
    ).toBeNull();
  });
});

function tempFile(content: string): string {
  const path = join(tempDir('reject-dir-file'), 'a-file');
  writeFileSync(path, content);
  return path;
}

function danglingLink(): string {
  const link = join(tempDir('reject-dir-link'), 'gone');
  symlinkSync(join(tempDir('reject-dir-target'), 'missing'), link);
  return link;
}

describe('shapes SQLite allows', () => {
  it('identifiers PostgreSQL would cut at 63 bytes (ASCII with one prefix, or multi-byte): plan and migrate refuse alike', async () => {
    const long = 'x'.repeat(63);
    const wide = 'ü'.repeat(33);
    const { dataDir, mappings } = genericSource(
      'long.db',
      `CREATE TABLE t (id INTEGER PRIMARY KEY, "${long}_a" TEXT, "${long}_b" TEXT, "${wide}" TEXT); INSERT INTO t VALUES (1, 'a', 'b', 'c');`,
    );
    const { plan, migrate } = planThenMigrate(dataDir, db.url, ['--mappings', mappings]);
    expect(plan.code, plan.stderr).toBe(5);
    expect(plan.stdout.match(/identifier_too_long/g)?.length).toBe(3);
    expect(errorCode(migrate)).toBe('TARGET_IDENTIFIER_TOO_LONG');
  });

  it('a WITHOUT ROWID table and a table without a key holding equal rows: every row loads and verifies', async () => {
    const url = (await createTestDatabase('faults_shapes')).url;
    const { dataDir, mappings } = genericSource(
      'shapes.db',
      `CREATE TABLE kv (k TEXT, n INTEGER, v TEXT, PRIMARY KEY (k, n)) WITHOUT ROWID;
       INSERT INTO kv VALUES ('b', 2, 'two'), ('a', 1, 'one'), ('b', 1, 'uno'), ('c', 9, 'nine');
       CREATE TABLE log (at TEXT, what TEXT, total INTEGER GENERATED ALWAYS AS (length(what)) STORED);
       INSERT INTO log (at, what) VALUES ('2026-01-01 10:00:00', 'start'), ('2026-01-01 10:00:00', 'start'), ('2026-01-01 10:00:01', 'stop');`,
    );
    const { plan, migrate } = planThenMigrate(dataDir, url, ['--mappings', mappings]);
    expect(plan.code, plan.stdout).toBe(0);
    expect(migrate.stdout).toMatch(/verified/);
    await withPg(url, async (c) => {
      expect((await c.query('SELECT k, n, v FROM kv ORDER BY k, n')).rows).toEqual([
        { k: 'a', n: '1', v: 'one' },
        { k: 'b', n: '1', v: 'uno' },
        { k: 'b', n: '2', v: 'two' },
        { k: 'c', n: '9', v: 'nine' },
      ]);
      expect((await c.query('SELECT what, total FROM log ORDER BY sqlite_rowid')).rows).toEqual([
        { what: 'start', total: '5' },
        { what: 'start', total: '5' },
        { what: 'stop', total: '4' },
      ]);
    });
  });
  it('a WITHOUT ROWID table whose one-column INTEGER key holds texts and reals: not called damaged, every row loads and verifies', async () => {
    // The private copy that gives such a table rowids made that key the rowid
    // itself, which refused the text ("datatype mismatch"): plan and migrate
    // called the file corrupt (SOURCE_CORRUPT, exit 5).
    const url = (await createTestDatabase('faults_without_rowid_int')).url;
    const { dataDir } = genericSource(
      'keys.db',
      `CREATE TABLE tags (id INTEGER NOT NULL, label TEXT, PRIMARY KEY (id)) WITHOUT ROWID;
       INSERT INTO tags VALUES (7, 'seven'), ('x7', 'text'), (2.5, 'real'), (-1, 'minus one');`,
    );
    // --auto fits the column to what it holds: text.
    const { plan, migrate } = planThenMigrate(dataDir, url, ['--auto']);
    expect(plan.code, plan.stdout).toBe(0);
    expect(migrate.stdout).toMatch(/verified/);
    await withPg(url, async (c) => {
      expect((await c.query('SELECT id, label FROM tags ORDER BY label')).rows).toEqual([
        { id: '-1', label: 'minus one' },
        { id: '2.5', label: 'real' },
        { id: '7', label: 'seven' },
        { id: 'x7', label: 'text' },
      ]);
    });
  });
});

describe('faults while running', () => {
  it('killed during its own verify: the rerun verifies the run instead of calling it done', async () => {
    const url = (await createTestDatabase('faults_kill_verify')).url;
    const dir = instance();
    const args = [
      'migrate',
      '--data-dir',
      dir,
      '--database-url',
      url,
      '--instance',
      'kv',
      '--quiet',
      '--reject-dir',
      tempDir('rej'),
    ];
    const child = startCli(args);
    // Wait for the load to finish (the run is `loaded`), then kill during the verify.
    for (let i = 0; i < 600; i++) {
      const state = await withPg(url, async (c) => {
        const ok =
          (await c.query<{ ok: boolean }>("SELECT to_regclass('aragora_migrate.runs') IS NOT NULL AS ok")).rows[0]?.ok
          === true;
        return ok
          ? ((await c.query<{ state: string }>('SELECT state FROM aragora_migrate.runs')).rows[0]?.state ?? '')
          : '';
      });
      if (state === 'loaded' || state === 'verified') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await child.done;
    const rerun = cli(args);
    expect(rerun.code).toBe(3);
    expect(rerun.stdout).toMatch(/verified/);
    expect(
      await withPg(
        url,
        async (c) => (await c.query<{ state: string }>('SELECT state FROM aragora_migrate.runs')).rows[0]?.state,
      ),
    ).toBe('verified');
  });

  it('killed -9 while loading: status calls the run interrupted, not running forever', async () => {
    const url = (await createTestDatabase('faults_kill_status')).url;
    const child = startCli([
      'migrate',
      '--data-dir',
      makeInstance({ layout: 'legacy', instance: 'a', scale: 4 }).dir,
      '--database-url',
      url,
      '--instance',
      'k9',
      '--batch-rows',
      '100',
      '--quiet',
      '--reject-dir',
      tempDir('rej'),
    ]);
    for (
      let i = 0;
      i < 600
      && (await count(
        url,
        "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'aragora_migrate' AND tablename = 'batches'",
      )) === 0;
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 600 && (await count(url, 'SELECT count(*) AS n FROM aragora_migrate.batches')) === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await child.done;
    // The server lets go of the killed client's lock once its backend notices the closed
    // socket, which a backend busy with a statement does only when that statement ends: on
    // a loaded machine, a moment later. Until then the run is still running on the server.
    let states: string[] = [];
    for (let i = 0; i < 40; i++) {
      const status = cli(['status', '--database-url', url, '--json', '-']);
      expect(status.code).toBe(0);
      states = (JSON.parse(status.stdout) as { runs: { state: string }[] }).runs.map((r) => r.state);
      if (states[0] !== 'running') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(states).toEqual(['interrupted']);
  });

  it("the server ends the tool's connections mid-COPY: TARGET_CONNECTION_LOST (exit 5), and the rerun resumes to the same end state", async () => {
    const clean = await createTestDatabase('faults_conn_clean');
    const url = (await createTestDatabase('faults_conn')).url;
    const dir = makeInstance({ layout: 'legacy', instance: 'a', scale: 4 }).dir;
    const args = [
      'migrate',
      '--data-dir',
      dir,
      '--database-url',
      url,
      '--instance',
      'conn',
      '--batch-rows',
      '200',
      '--reject-dir',
      tempDir('rej'),
    ];
    expect(cli([...args.slice(0, 4), clean.url, ...args.slice(5)]).code).toBe(3);
    // A stale report where the new one goes: what stopped must replace it.
    const jsonFile = join(tempDir('report'), 'migrate.json');
    writeFileSync(jsonFile, '{"verdict":"ok","exitCode":0}');
    const child = startCli([...args, '--quiet', '--json', jsonFile]);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      for (let i = 0; i < 600; i++) {
        const r = await admin.query(
          // A batch COPYed straight into the target is one query that starts with BEGIN (src/target/one-trip-copy.ts).
          "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'aragora-migrate migrate conn worker%' AND query ILIKE '%COPY % FROM STDIN%'",
        );
        if ((r.rowCount ?? 0) > 0) {
          await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'aragora-migrate migrate conn%'",
          );
          break;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    } finally {
      await admin.end();
    }
    const stopped = await child.done;
    expect(stopped.stderr).not.toMatch(BUG);
    expect(stopped.code, stopped.stderr + stopped.stdout).toBe(5);
    expect(`${stopped.stderr}${stopped.stdout}`).toMatch(/TARGET_CONNECTION_LOST|connection to the target was lost/);
    // The run says how it stopped.
    expect(
      await withPg(
        url,
        async (c) =>
          (await c.query<{ state: string; error: string }>('SELECT state, error FROM aragora_migrate.runs')).rows[0],
      ),
    ).toMatchObject({ state: 'failed', error: expect.stringMatching(/connection/) as unknown });
    // The error names the run it stopped, on stderr and in the report automation reads.
    const runId = await withPg(
      url,
      async (c) => (await c.query<{ run_id: string }>('SELECT run_id FROM aragora_migrate.runs')).rows[0]?.run_id,
    );
    expect(stopped.stderr).toContain(`run: ${runId ?? '?'}`);
    expect(JSON.parse(readFileSync(jsonFile, 'utf8'))).toMatchObject({
      command: 'migrate',
      verdict: 'refused',
      exitCode: 5,
      runId,
      error: { code: 'TARGET_CONNECTION_LOST', hint: expect.stringMatching(/resumes/) as unknown },
    });
    const rerun = cli(args);
    expect(rerun.code).toBe(3);
    for (const t of ['elo_ratings', 'continuum_memory', 'positions', 'consensus']) {
      expect(await count(url, `SELECT count(*) AS n FROM ${t}`), t).toBe(
        await count(clean.url, `SELECT count(*) AS n FROM ${t}`),
      );
    }
    await clean.drop();
  });
});
