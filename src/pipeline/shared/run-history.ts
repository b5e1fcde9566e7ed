import type pg from 'pg';
import { MigrateError } from '../../errors.js';
import { latestRun, loadUnfinished, runFiles, runWithFileHashes, type RunRow } from '../../ledger/runs.js';
import { tableProgress } from '../../ledger/run-tables.js';
import { cleanlyVerifiedFiles } from '../../ledger/verifications.js';
import { resolveRun, type RunDecision } from './resolve-run.js';
import type { FileBytes, FileHash } from '../../source/source-hash.js';

/** Whose runs a decision is taken among: migrate's and plan's config. */
export interface RunScope {
  readonly instance: string;
  readonly dataDir: string;
  readonly schema: string;
}

/** What the ledger holds of this instance's runs on this data dir and schema: read once, decided on purely (decideRun). */
export interface PastRuns {
  /** The newest run, or null. */
  readonly latest: RunRow | null;
  /** The files `latest` recorded (empty without one). */
  readonly recordedFiles: readonly FileHash[];
  /** The files `latest`'s latest clean verification read; null: none. */
  readonly verifiedFiles: readonly FileBytes[] | null;
}

/** The ledger's record of this instance's runs (the ledger must exist). */
export async function pastRuns(client: pg.Client, scope: RunScope): Promise<PastRuns> {
  const latest = await latestRun(client, scope.instance, scope.dataDir, scope.schema);
  return {
    latest,
    recordedFiles: latest === null ? [] : await runFiles(client, latest.run_id),
    verifiedFiles: latest === null ? null : await cleanlyVerifiedFiles(client, latest.run_id),
  };
}

/**
 * New, resume, no-op or refuse, from the newest run of this instance on this
 * data dir and schema (src/pipeline/shared/resolve-run.ts): what migrate does
 * before it writes anything, and what plan reports it would do.
 */
export function decideRun(past: PastRuns, instance: string, hashes: readonly FileHash[], verify: boolean): RunDecision {
  return resolveRun({ instance, ...past, hashes, verify });
}

/**
 * The refusal of a new run whose files another run already loaded into the
 * same schema: the same bytes under another instance name (or from a copy of
 * the data dir) would merge every row twice. `withRows`: the files that hold
 * rows of a mapped table; files without are exempt, as two instances can hold
 * byte-identical empty stores. Another schema holds other tables: a trial run
 * into a scratch schema does not stop the real one. Null: nothing stands in the way.
 */
export async function filesLoadedElsewhere(
  client: pg.Client,
  hashes: readonly FileHash[],
  withRows: ReadonlySet<string>,
  schema: string,
): Promise<MigrateError | null> {
  const shas = hashes.filter((h) => withRows.has(h.path)).map((h) => h.sha256);
  if (shas.length === 0) return null;
  const hit = await runWithFileHashes(client, shas, schema);
  if (hit === null) return null;
  return new MigrateError(
    'RUN_ALREADY_LOADED',
    `${hit.path} is byte-identical to a file run ${hit.run_id} of instance ${hit.instance} (${hit.data_dir}) already migrated into schema ${schema}`,
  );
}

/**
 * The refusal of a resume whose run loaded rows into a table that is gone
 * (dropped by hand since): it continues after the last rowid it committed, so
 * loading the rest into a new table would leave the first rows missing, which
 * only verify would tell. `exists`: whether the target table exists now
 * (undefined for a table not read, taken as present). Null: nothing is lost.
 */
export async function lostTargets(
  client: pg.Client,
  runId: string,
  exists: (target: string) => boolean | undefined,
): Promise<MigrateError | null> {
  const gone = (await tableProgress(client, runId)).filter(
    (p) => BigInt(p.rows_loaded) > 0n && exists(p.target_table) === false,
  );
  if (gone.length === 0) return null;
  const lines = gone.map((p) => `${p.target_table}: ${p.rows_loaded} row(s) of ${p.source_file} ${p.source_table}`);
  return new MigrateError(
    'RUN_TARGET_GONE',
    `run ${runId} loaded rows into tables that no longer exist:\n  ${lines.join('\n  ')}`,
    {
      hint: `Roll the run back (aragora-migrate rollback --run ${runId}), then run migrate again to load every row anew.`,
    },
  );
}

/**
 * Where the unfinished run of `past` (if its latest run is one) would resume
 * each source table (`file\0table`): the last rowid it committed. Empty where
 * the latest run finished, or there is none. plan leaves the rows up to there
 * out of what it asks the target, as the resume never reads them again
 * (src/pipeline/plan/profile.ts, loadedUpTo).
 */
export async function resumePositions(client: pg.Client, past: PastRuns): Promise<Map<string, bigint>> {
  const { latest } = past;
  if (latest === null || !loadUnfinished(latest.state)) return new Map();
  return new Map(
    (await tableProgress(client, latest.run_id)).flatMap((p) =>
      p.last_rowid === null ? [] : [[`${p.source_file}\0${p.source_table}`, BigInt(p.last_rowid)] as const],
    ),
  );
}
