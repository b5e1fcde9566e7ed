import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { runArchive } from '../../../../src/pipeline/archive/archive.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';
import type { StatusReport } from '../../../../src/report/status-report.js';

function status(url: string, extra: string[] = []): ReturnType<typeof runCli> {
  return runCli(['status', '--database-url', url, ...extra]);
}

describe('status', () => {
  const a = makeInstance({ layout: 'legacy', instance: 'a' });
  const b = makeInstance({ layout: 'consolidated', instance: 'b' });
  let db: TestDatabase;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    db = await createTestDatabase('status');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('says "no runs yet" on a database nothing was migrated into, exits 0 and creates nothing', async () => {
    const res = status(db.url);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/no runs yet/);
    const json = JSON.parse(status(db.url, ['--json', '-']).stdout) as StatusReport;
    expect(json).toMatchObject({ command: 'status', exitCode: 0, ledger: false, runs: [] });
    await withPg(db.url, async (c) => {
      const r = await c.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'aragora_migrate'",
      );
      expect(r.rows[0]?.n).toBe('0');
    });
  });

  it('lists every run newest first with its state, verified/archived/rolled-back flags and per-table counts, as text and JSON', async () => {
    runA = (await migrate(a.dir, db.url, { instance: 'test-a' })).runId;
    await runArchive({
      config: loadConfig({ dataDir: a.dir, databaseUrl: db.url, instance: 'test-a' }, {}),
      backupDir: join(tempDir('status-backup'), 'a'),
    });
    runB = (await migrate(b.dir, db.url, { instance: 'test-b', verify: false })).runId;

    const res = status(db.url);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.split('\n');
    const lineA = lines.findIndex((l) => l.startsWith(runA));
    const lineB = lines.findIndex((l) => l.startsWith(runB));
    expect(lineB).toBeGreaterThan(0);
    expect(lineA).toBeGreaterThan(lineB);
    expect(lines[lineA]).toMatch(/ verified {2}instance test-a on .*\(verified, archived\)$/);
    expect(lines[lineB]).toMatch(/ loaded {2}instance test-b on .*\(not verified\)$/);
    expect(res.stdout).toMatch(/^ {4}elo_matches +agent_elo\.db matches +\d+ +\d+ +\d+ +loaded$/m);

    const json = JSON.parse(status(db.url, ['--json', '-']).stdout) as StatusReport;
    expect(json.runs.map((r) => [r.runId, r.instance, r.state, r.verified, r.archived, r.rolledBack])).toEqual([
      [runB, 'test-b', 'loaded', false, false, false],
      [runA, 'test-a', 'verified', true, true, false],
    ]);
    const ledger = await withPg(db.url, async (c) =>
      (
        await c.query<{
          run_id: string;
          source_file: string;
          source_table: string;
          target_table: string;
          rows_loaded: string;
          rows_rejected: string;
          rows_merged: string;
        }>(
          'SELECT run_id, source_file, source_table, target_table, rows_loaded, rows_rejected, rows_merged FROM aragora_migrate.run_tables',
        )
      ).rows.map(
        (t) =>
          `${t.run_id} ${t.source_file} ${t.source_table} -> ${t.target_table}: ${t.rows_loaded}/${t.rows_rejected}/${t.rows_merged}`,
      ),
    );
    const reported = json.runs.flatMap((r) =>
      r.tables.map(
        (t) =>
          `${r.runId} ${t.source.file} ${t.source.table} -> ${t.target}: ${t.rowsLoaded}/${t.rowsRejected}/${t.rowsMerged}`,
      ),
    );
    expect(reported.sort()).toEqual(ledger.sort());
    const tablesA = json.runs[1]?.tables ?? [];
    expect(tablesA.reduce((n, t) => n + t.rowsRejected, 0)).toBe(6);
    expect(json.runs[1]?.archives.filter((f) => f.restoredAt === null).map((f) => f.path)).toEqual(
      expect.arrayContaining(['agent_elo.db', 'agent_elo.db-wal', 'agent_elo.db-shm']),
    );
  });

  it('--run shows one run in detail; an unknown run exits 2', () => {
    const res = status(db.url, ['--run', runA]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`run          ${runA}`);
    expect(res.stdout).toMatch(/^verified +yes \(latest check .*: no difference; 1 check\(s\)\)$/m);
    expect(res.stdout).toMatch(/^archived +yes: 11 file\(s\), .* in \//m);
    expect(res.stdout).toMatch(/^Archived files$/m);
    expect(res.stdout).not.toContain(runB);

    const bad = status(db.url, ['--run', 'no-such-run']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error STATUS_NO_RUN: no run no-such-run/);
  });

  it('--brief prints one line per run: run id, instance, state, start, rows loaded/rejected/merged, flags', async () => {
    const res = status(db.url, ['--brief']);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    // The target, the header and its dashes, then the two runs newest first: no table lines.
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/^run +instance +state +started +loaded +rejected +merged$/);
    const json = JSON.parse(status(db.url, ['--json', '-']).stdout) as StatusReport;
    const sums = (id: string): string[] => {
      const tables = json.runs.find((r) => r.runId === id)?.tables ?? [];
      return [
        tables.reduce((n, t) => n + t.rowsLoaded, 0),
        tables.reduce((n, t) => n + t.rowsRejected, 0),
        tables.reduce((n, t) => n + t.rowsMerged, 0),
      ].map((n) => n.toLocaleString('en-US'));
    };
    expect(lines[3]).toMatch(
      new RegExp(
        `^${runB} +test-b +loaded +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +${sums(runB).join(' +')} +not verified$`,
      ),
    );
    expect(lines[4]).toMatch(
      new RegExp(`^${runA} +test-a +verified +\\S+ \\S+ +${sums(runA).join(' +')} +verified, archived$`),
    );
  });

  it('shows a rolled-back run as such, and filters by --schema', async () => {
    await withPg(db.url, (c) =>
      c.query("UPDATE aragora_migrate.runs SET state = 'rolled-back' WHERE run_id = $1", [runB]),
    );
    const json = JSON.parse(status(db.url, ['--json', '-', '--run', runB]).stdout) as StatusReport;
    expect(json.runs.map((r) => [r.state, r.rolledBack])).toEqual([['rolled-back', true]]);
    expect(status(db.url, ['--run', runB]).stdout).toMatch(/^rolled back +yes$/m);
    expect((JSON.parse(status(db.url, ['--json', '-', '--schema', 'elsewhere']).stdout) as StatusReport).runs).toEqual(
      [],
    );
  });

  it("shows a rolled-back run's tables as rolled back, and a table a stopped rollback finished while the others stay loaded", async () => {
    // runB is rolled back (above): every one of its tables is.
    const json = JSON.parse(status(db.url, ['--json', '-', '--run', runB]).stdout) as StatusReport;
    expect(new Set(json.runs[0]?.tables.map((t) => t.state))).toEqual(new Set(['rolled-back']));
    expect(status(db.url, ['--run', runB]).stdout).toMatch(/^ {4}\S+ +\S+ \S+( +[\d,]+){6} +rolled-back$/m);
    // A rollback of runA stopped after one table: the ledger's rollbacks row says which (ledger/rollbacks.ts).
    const tableA =
      (JSON.parse(status(db.url, ['--json', '-', '--run', runA]).stdout) as StatusReport).runs[0]?.tables ?? [];
    const target = tableA[0]?.target ?? '';
    expect(target).not.toBe('');
    await withPg(db.url, (c) =>
      c.query(
        'INSERT INTO aragora_migrate.rollbacks (run_id, target_table, rows_deleted, rows_restored) VALUES ($1, $2, 0, 0)',
        [runA, target],
      ),
    );
    const after = (JSON.parse(status(db.url, ['--json', '-', '--run', runA]).stdout) as StatusReport).runs[0];
    expect(after?.rolledBack).toBe(false);
    for (const t of after?.tables ?? []) expect(t.state, t.target).toBe(t.target === target ? 'rolled-back' : 'loaded');
    expect(status(db.url, ['--run', runA]).stdout).toMatch(new RegExp(`^ {4}${target} +.* rolled-back$`, 'm'));
  });

  it('never prints the password of the DSN', () => {
    const url = new URL(db.url);
    url.password = 'sekret-pw';
    const res = status(url.toString());
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(':***@');
    expect(`${res.stdout}${res.stderr}`).not.toContain('sekret-pw');
  });
});
