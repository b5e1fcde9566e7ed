import { MigrateError } from '../../errors.js';
import type { RunRow } from '../../ledger/runs.js';
import { walContentHash, type FileBytes, type FileHash } from '../../source/source-hash.js';

/**
 * What `migrate` does given the newest run of this instance on this data dir:
 * - new: start a run (nothing before, or the last one was rolled back);
 * - resume: continue the unfinished run on the same files;
 * - noop: the same files are migrated already; `verify` when that run was
 *   loaded but never verified clean and verification is wanted;
 * - refuse: the error that stops the run before anything is written.
 */
export type RunDecision =
  | { readonly kind: 'new' }
  | { readonly kind: 'resume'; readonly run: RunRow }
  | { readonly kind: 'noop'; readonly run: RunRow; readonly verify: boolean }
  | { readonly kind: 'refuse'; readonly error: MigrateError };

export interface RunHistory {
  readonly instance: string;
  /** The newest run of the instance on this data dir and schema, or null. */
  readonly latest: RunRow | null;
  /** The files `latest` recorded (empty without one). */
  readonly recordedFiles: readonly FileHash[];
  /** The files as they are now. */
  readonly hashes: readonly FileHash[];
  /**
   * The files as `latest`'s latest verification, clean, read them; null:
   * none recorded. Bytes a clean verification read stand for the run as well
   * as its own (src/ledger/verifications.ts, cleanlyVerifiedFiles).
   */
  readonly verifiedFiles: readonly FileBytes[] | null;
  /** Whether this migrate verifies what it loaded (`--no-verify` says no). */
  readonly verify: boolean;
}

/** Decides from the ledger's record alone; reads nothing. */
export function resolveRun(h: RunHistory): RunDecision {
  const { latest, instance } = h;
  if (latest?.state === 'rolling-back') {
    return refuse(
      'RUN_ROLLBACK_UNFINISHED',
      `the rollback of run ${latest.run_id} of instance ${instance} did not finish`,
    );
  }
  // A rolled-back run left nothing behind: migrating again starts afresh.
  if (latest === null || latest.state === 'rolled-back') return { kind: 'new' };
  const finished = latest.state === 'loaded' || latest.state === 'verified';
  if (sameFiles(h.recordedFiles, h.hashes)) {
    // Loaded but never verified clean (killed during its own verify, or --no-verify): verified now.
    if (finished) return { kind: 'noop', run: latest, verify: latest.state === 'loaded' && h.verify };
    return { kind: 'resume', run: latest };
  }
  // SQLite checkpointed the -wal into the .db since, and verify proved the rows unchanged.
  if (finished && h.verifiedFiles !== null && sameFiles(h.verifiedFiles, h.hashes))
    return { kind: 'noop', run: latest, verify: false };
  if (!finished) {
    return refuse(
      'RUN_SOURCE_CHANGED',
      `run ${latest.run_id} of instance ${instance} did not finish (${latest.state}), and the source files changed since it started`,
    );
  }
  // Loading the changed files on top would merge their rows a second time
  // (counters summed twice, logs appended twice).
  return refuse(
    'RUN_ALREADY_MIGRATED',
    `run ${latest.run_id} of instance ${instance} already migrated this data dir (${latest.state}), and its files changed since`,
  );
}

function refuse(
  code: 'RUN_ROLLBACK_UNFINISHED' | 'RUN_SOURCE_CHANGED' | 'RUN_ALREADY_MIGRATED',
  message: string,
): RunDecision {
  return { kind: 'refuse', error: new MigrateError(code, message) };
}

/** The same paths with the same bytes (database and WAL), in any order. */
export function sameFiles(a: readonly FileBytes[], b: readonly FileBytes[]): boolean {
  const key = (f: FileBytes): string => `${f.path}\0${f.sha256}\0${walContentHash(f.walSha256) ?? ''}`;
  return a.length === b.length && a.map(key).sort().join('\n') === b.map(key).sort().join('\n');
}
