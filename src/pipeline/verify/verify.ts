import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { ResolvedConfig } from '../../config/load-config.js';
import { discover, type DiscoverResult, type SourceFile } from '../../source/discover.js';
import { assertDataDir } from '../../source/walk.js';
import { archiveRows } from '../../ledger/archives.js';
import type { Finding } from '../../findings/finding.js';
import type { Snapshot } from '../../source/snapshot.js';
import { ConfigError, MigrateError, SourceError, EXIT } from '../../errors.js';
import { loadUnfinished, runById, runFiles, setRunState, type RunRow } from '../../ledger/runs.js';
import { ensureLedger, ledgerExists } from '../../ledger/schema.js';
import { tableProgress } from '../../ledger/run-tables.js';
import { recordVerification } from '../../ledger/verifications.js';
import type { MappingSet } from '../../mapping/load.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { connectTarget } from '../../target/connect.js';
import { assertWritable } from '../../target/target-state.js';
import type { Reporter } from '../../report/events.js';
import { hashSourceFile, walContentHash } from '../../source/source-hash.js';
import { latestRunOfDataDir } from '../shared/find-run.js';
import { collectTasks, groupByTarget, type Task } from '../shared/tasks.js';
import { verifyTable } from './verify-table.js';
import type { VerifyReport, VerifyTableResult } from '../../report/verify-report.js';
import type { FileHash } from '../../source/source-hash.js';

export interface VerifyOptions {
  readonly config: ResolvedConfig;
  readonly mappings: MappingSet;
  readonly reporter: Reporter;
  readonly maxKeys: number;
  /** The run to verify; default: this instance's latest run on this data dir. */
  readonly runId?: string;
  /** Convert every source row again, even where the load's row digests could stand in for it (src/pipeline/verify/digest-pass.ts). */
  readonly fromSource?: boolean;
  /** Reuse an open connection (migrate's own verify). */
  readonly client?: pg.Client;
  /**
   * The files as migrate just found and hashed them: its own verify reads the
   * same snapshots instead of discovering, copying and hashing them again. The
   * caller keeps them open and closes them.
   */
  readonly source?: { readonly scan: DiscoverResult; readonly hashes: readonly FileHash[] };
}

/**
 * Proves the target holds what the source holds: each target table read back
 * and compared, row by row, with the source converted again. Records the
 * outcome in the ledger; archive requires a verified run.
 */
export async function runVerify(opts: VerifyOptions): Promise<VerifyReport> {
  const { config, mappings } = opts;
  if (config.target === null) throw new ConfigError('CONFIG_DSN_MISSING', 'verify needs the target PostgreSQL');
  const started = Date.now();
  const client =
    opts.client ?? (await connectTarget(config.target, `aragora-migrate verify ${config.instance}`.slice(0, 63)));
  const opened: DiscoverResult[] = [];
  let tmp: string | null = null;
  try {
    if (!(await ledgerExists(client)))
      throw new ConfigError(
        'VERIFY_NO_RUN',
        `no migration ledger in ${config.target.display}: nothing was migrated there`,
      );
    // verify records its outcome in the ledger.
    await assertWritable(client);
    // A run recorded by an older version of the tool: its ledger gets the columns this one reads.
    await ensureLedger(client);
    const run = await findRun(client, opts.runId, config);
    // Its rows are gone (or going): every one would be reported missing, as if the load had lost them.
    if (run.state === 'rolled-back' || run.state === 'rolling-back')
      throw new ConfigError(
        'VERIFY_RUN_ROLLED_BACK',
        `run ${run.run_id} was ${run.state === 'rolled-back' ? 'rolled back' : 'being rolled back, and its rollback did not finish'}: its rows are no longer the target's to verify`,
      );
    const recorded = new Map((await runFiles(client, run.run_id)).map((f) => [f.path, f] as const));
    const scan = opts.source?.scan ?? (await runSources(client, run, config, mappings, [...recorded.keys()], opened));
    tmp = mkdtempSync(join(tmpdir(), 'aragora-migrate-verify-'));
    const given = new Map((opts.source?.hashes ?? []).map((h) => [h.path, h] as const));
    // Hashed now, even right after migrate hashed them: a file written since its
    // load must not pass for unchanged. A file quiet since then is known by its
    // identity (src/source/source-hash.ts) without reading it again.
    const hashes = new Map(
      scan.files
        .filter((x) => scan.snapshots.has(x.path))
        .map((f) => [f.path, hashSourceFile(f.absPath, f.path, given.get(f.path) ?? recorded.get(f.path))] as const),
    );
    const hashing = Promise.all(hashes.values());
    hashing.catch(() => undefined);
    const sourceUnchanged = async (path: string): Promise<boolean> => {
      const then = recorded.get(path);
      const now = await hashes.get(path);
      return then !== undefined && now !== undefined && sameBytes(then, now);
    };
    const byTarget = groupByTarget(collectTasks(scan.files, scan.snapshots, mappings));
    await assertRunTablesMapped(client, run.run_id, byTarget);
    const offsetOf = timeZoneOffsetFn(config.sourceTimezone);
    const tables: VerifyTableResult[] = [];
    const rowsOf = (tasks: readonly { readonly rows: number }[]): number => tasks.reduce((n, t) => n + t.rows, 0);
    opts.reporter.emit('phase', { phase: 'verifying', rows: rowsOf([...byTarget.values()].flat()) });
    for (const [target, tasks] of [...byTarget].sort((a, b) => a[0].localeCompare(b[0]))) {
      const started = Date.now();
      opts.reporter.emit('table:start', { file: 'source', table: target, rows: rowsOf(tasks) });
      tables.push(
        await verifyTable({
          client,
          runId: run.run_id,
          schema: run.target_schema,
          target,
          tasks,
          offsetOf,
          sourceTimezone: config.sourceTimezone,
          maxKeys: opts.maxKeys,
          tmpDir: tmp,
          reporter: opts.reporter,
          sourceUnchanged,
          fromSource: opts.fromSource === true,
        }),
      );
      opts.reporter.emit('table:done', {
        file: 'source',
        table: target,
        rows: rowsOf(tasks),
        ms: Date.now() - started,
      });
    }
    const read = await hashing;
    const changedFiles = read
      .filter((now) => {
        const then = recorded.get(now.path);
        return then === undefined || !sameBytes(then, now);
      })
      .map((now) => now.path);
    // Rows no run wrote (`extra`) are the application's, live on the tables, or a hand
    // edit: listed, but they say nothing against what this run wrote.
    const bad = tables.filter((t) => t.missing + t.changed > 0);
    const ok = bad.length === 0;
    const extra = tables.reduce((n, t) => n + t.extra, 0);
    const seconds = (Date.now() - started) / 1000;
    const others =
      extra === 0
        ? ''
        : `; ${extra} row(s) in its tables were written by no run (the application, or by hand), listed as extra`;
    const unfinished = loadUnfinished(run.state)
      ? `; its load did not finish (the run is ${run.state}), so rows it has not loaded yet read as missing`
      : '';
    const message = ok
      ? `run ${run.run_id} verified: every table holds exactly the source rows${others}`
      : `run ${run.run_id} differs in ${bad.length} table(s): ${bad.map((t) => `${t.target} (${t.missing} missing, ${t.changed} changed)`).join(', ')}${others}${unfinished}`;
    const report: VerifyReport = {
      command: 'verify',
      runId: run.run_id,
      instance: run.instance,
      exitCode: ok ? EXIT.OK : EXIT.VERIFY_DIFFERENCES,
      ok,
      dataDir: run.data_dir,
      runState: run.state,
      changedFiles,
      files: read.map((f) => ({ path: f.path, sha256: f.sha256, walSha256: walContentHash(f.walSha256) })),
      tables,
      seconds,
      message,
    };
    await recordVerification(client, run.run_id, ok, report);
    // Only a loaded run becomes verified: one rolled back (or loading again) meanwhile keeps its state.
    if (ok) await setRunState(client, run.run_id, 'verified', 'unchanged', null, 'loaded');
    return report;
  } finally {
    if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
    for (const o of opened) for (const s of o.snapshots.values()) s.close();
    if (opts.client === undefined) await client.end().catch(() => undefined);
  }
}

/**
 * The files a run read, where they are now: in the data dir (the run's own,
 * unless --data-dir says elsewhere), or, once archived, in the backup dir the
 * ledger names, under the same relative paths. Every one of them must be
 * found: verify never reports success over files it could not read.
 */
async function runSources(
  client: pg.Client,
  run: RunRow,
  config: ResolvedConfig,
  mappings: MappingSet,
  paths: readonly string[],
  opened: DiscoverResult[],
): Promise<DiscoverResult> {
  const dataDir = config.dataDirSource === 'default' ? run.data_dir : config.dataDir;
  const archived = new Map(
    (await archiveRows(client, run.run_id))
      .filter((a) => a.restoredAt === null)
      .map((a) => [a.path, a.backupDir] as const),
  );
  const dirs = new Map<string, string[]>();
  for (const p of paths) {
    const dir = archived.get(p) ?? dataDir;
    dirs.set(dir, [...(dirs.get(dir) ?? []), p]);
  }
  const files: SourceFile[] = [];
  const snapshots = new Map<string, Snapshot>();
  const findings: Finding[] = [];
  const missing: string[] = [];
  for (const [dir, wanted] of dirs) {
    try {
      assertDataDir(dir);
    } catch (err: unknown) {
      if (!(err instanceof MigrateError)) throw err;
      throw new SourceError(
        'VERIFY_SOURCE_MISSING',
        `run ${run.run_id} read ${wanted.length} file(s) that would be in ${dir}, which cannot be read: ${err.message}`,
        { file: dir, cause: err },
      );
    }
    const scan = await discover({
      dataDir: dir,
      mappings,
      allowLive: config.allowLive,
      keepSnapshots: true,
      integrity: false,
    });
    opened.push(scan);
    findings.push(...scan.findings);
    for (const p of wanted) {
      const file = scan.files.find((f) => f.path === p);
      const snapshot = scan.snapshots.get(p);
      if (file === undefined || snapshot === undefined) missing.push(join(dir, p));
      else {
        files.push(file);
        snapshots.set(p, snapshot);
      }
    }
  }
  if (missing.length > 0) {
    throw new SourceError(
      'VERIFY_SOURCE_MISSING',
      `run ${run.run_id} read files that cannot be found or read now: ${missing.join(', ')}`,
    );
  }
  return { files, snapshots, findings };
}

/**
 * Every table the run loaded is one the mapping set in use maps: a table it
 * does not map would not be read at all, and a run verified under the wrong
 * set (one made with --auto or --mappings, verified without) passed as exact
 * over tables it never looked at.
 */
async function assertRunTablesMapped(
  client: pg.Client,
  runId: string,
  byTarget: ReadonlyMap<string, readonly Task[]>,
): Promise<void> {
  const covered = new Set([...byTarget.values()].flat().map((t) => `${t.file.path}\0${t.spec.source}`));
  const unmapped = (await tableProgress(client, runId)).filter(
    (p) => !covered.has(`${p.source_file}\0${p.source_table}`),
  );
  if (unmapped.length === 0) return;
  const list = unmapped.slice(0, 10).map((p) => `${p.source_file} ${p.source_table}`);
  throw new ConfigError(
    'VERIFY_TABLES_UNMAPPED',
    `run ${runId} loaded ${unmapped.length} table(s) that the mapping set in use does not map: ${list.join(', ')}${unmapped.length > list.length ? ', …' : ''}`,
  );
}

async function findRun(client: pg.Client, runId: string | undefined, config: ResolvedConfig): Promise<RunRow> {
  if (runId !== undefined) {
    const row = await runById(client, runId);
    if (row === null) throw new ConfigError('VERIFY_NO_RUN', `no run ${runId} in the ledger`);
    return row;
  }
  return latestRunOfDataDir(client, config, 'VERIFY_NO_RUN');
}

function sameBytes(then: { sha256: string; walSha256: string | null }, now: FileHash): boolean {
  return then.sha256 === now.sha256 && walContentHash(then.walSha256) === now.walSha256;
}
