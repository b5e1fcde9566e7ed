import { expect } from 'vitest';
import pg from 'pg';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { loadBuiltinMappingSet, type MappingSet } from '../../src/mapping/load.js';
import { silentReporter } from '../../src/report/events.js';
import { runMigration } from '../../src/pipeline/migrate/migrate.js';
import { runVerify } from '../../src/pipeline/verify/verify.js';
import type { MigrateReport } from '../../src/report/migrate-report.js';
import type { VerifyReport } from '../../src/report/verify-report.js';
import { tempDir } from './files.js';
import { runCli, type CliResult } from './cli.js';

export const mappings = loadBuiltinMappingSet();

/** Runs a migration in-process with the CLI's defaults. */
export async function migrate(
  dataDir: string,
  url: string,
  extra: {
    instance?: string;
    sourceTimezone?: string;
    batchRows?: number;
    verify?: boolean;
    mappings?: MappingSet;
    widenColumns?: boolean;
    schema?: string;
  } = {},
): Promise<MigrateReport> {
  return runMigration({
    config: loadConfig(
      {
        dataDir,
        databaseUrl: url,
        instance: extra.instance ?? 'test-a',
        ...(extra.schema !== undefined ? { schema: extra.schema } : {}),
        widenColumns: extra.widenColumns ?? false,
        ...(extra.sourceTimezone !== undefined ? { sourceTimezone: extra.sourceTimezone } : {}),
      },
      {},
    ),
    mappings: extra.mappings ?? mappings,
    reporter: silentReporter,
    signal: new AbortController().signal,
    jobs: 2,
    batchRows: extra.batchRows ?? 10000,
    batchBytes: 32 * 1024 * 1024,
    lockTimeoutSeconds: 30,
    rejectDir: join(tempDir('rejects'), 'r'),
    verify: extra.verify ?? true,
    maxKeys: 20,
  });
}

/** Runs verify in-process on a data dir's run, with the CLI's defaults. */
export async function verifyRun(dataDir: string, url: string, instance = 'test-a'): Promise<VerifyReport> {
  return runVerify({
    config: loadConfig({ dataDir, databaseUrl: url, instance }, {}),
    mappings,
    reporter: silentReporter,
    maxKeys: 20,
  });
}

/** The arguments of `aragora-migrate archive` of instance test-a's run on a data dir. */
export function archiveArgs(dataDir: string, url: string, backupDir: string): string[] {
  return [
    'archive',
    '--data-dir',
    dataDir,
    '--database-url',
    url,
    '--instance',
    'test-a',
    '--backup-dir',
    backupDir,
    '--quiet',
  ];
}

/** `aragora-migrate archive` of instance test-a's run on a data dir, as the CLI runs it. */
export function archiveCli(dataDir: string, url: string, backupDir: string, extra: string[] = []): CliResult {
  return runCli([...archiveArgs(dataDir, url, backupDir), ...extra]);
}

/** The ledger's archived files not restored since: path → sha256. */
export async function liveArchiveRows(url: string): Promise<Record<string, string>> {
  return withPg(url, async (c) => {
    const r = await c.query<{ path: string; sha256: string }>(
      'SELECT path, sha256 FROM aragora_migrate.archives WHERE restored_at IS NULL ORDER BY path',
    );
    return Object.fromEntries(r.rows.map((x) => [x.path, x.sha256]));
  });
}

export async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * An order-independent digest and count of every table in `schema` (the ledger
 * excluded): two databases with equal digests hold the same rows.
 */
export async function tableDigests(url: string, schema = 'public'): Promise<Record<string, string>> {
  return withPg(url, async (c) => {
    const tables = await c.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1`,
      [schema],
    );
    const out: Record<string, string> = {};
    for (const { t } of tables.rows) {
      const r = await c.query<{ n: string; d: string | null }>(
        `SELECT count(*) AS n, md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))) AS d FROM "${schema}"."${t}" x`,
      );
      out[t] = `${r.rows[0]?.n ?? 0}:${r.rows[0]?.d ?? ''}`;
    }
    return out;
  });
}

/** The state the ledger gives a run ('' when it has none). */
export async function runState(url: string, runId: string): Promise<string> {
  return withPg(
    url,
    async (c) =>
      (await c.query<{ state: string }>('SELECT state FROM aragora_migrate.runs WHERE run_id = $1', [runId])).rows[0]
        ?.state ?? '',
  );
}

/** The application changes one migrated row behind the tool's back (a win for the first agent); returns the agent. */
export async function appChangesOneRating(url: string): Promise<string> {
  return withPg(url, async (c) => {
    const r = await c.query<{ agent_name: string }>('SELECT agent_name FROM elo_ratings ORDER BY agent_name LIMIT 1');
    await c.query('UPDATE elo_ratings SET wins = wins + 1 WHERE agent_name = $1', [r.rows[0]?.agent_name]);
    return r.rows[0]?.agent_name ?? '';
  });
}

/**
 * A migrate the target stops for a reason of its own: exit 5 saying `said`,
 * never "This is a bug"; verify then says the load did not finish and to
 * resume it; once `lift` (SQL) has run on the target, the same command
 * resumes the run, and `table` holds `rows` rows.
 */
export async function expectStopThenResume(
  args: readonly string[],
  url: string,
  opts: { readonly said: string; readonly lift: string; readonly table: string; readonly rows: number },
): Promise<void> {
  const stopped = runCli(['migrate', ...args]);
  expect(stopped.code, stopped.stderr + stopped.stdout.slice(-1500)).toBe(5);
  expect(stopped.stdout + stopped.stderr).toContain(opts.said);
  expect(stopped.stdout + stopped.stderr).not.toMatch(/This is a bug/);
  // verify of the stopped run: its rows not loaded yet read as missing, and it says why and what to do.
  const verify = runCli(['verify', ...args]);
  expect(verify.code, verify.stderr + verify.stdout.slice(-1500)).toBe(4);
  expect(verify.stdout).toContain('its load did not finish (the run is failed)');
  expect(verify.stdout).toContain('next: resume the load with the same migrate command');
  await withPg(url, (c) => c.query(opts.lift));
  const resumed = runCli(['migrate', '--json', '-', ...args]);
  expect(resumed.code, resumed.stderr + resumed.stdout.slice(-1500)).toBe(0);
  expect((JSON.parse(resumed.stdout) as { resumed: boolean }).resumed).toBe(true);
  const n = await withPg(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${opts.table}`)).rows[0].n);
  expect(n).toBe(opts.rows);
}
