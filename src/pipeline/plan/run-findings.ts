import type pg from 'pg';
import type { Finding } from '../../findings/finding.js';
import type { SourceFile } from '../../source/discover.js';
import { hashSourceFile, type FileHash } from '../../source/source-hash.js';
import { decideRun, filesLoadedElsewhere, lostTargets, type PastRuns, type RunScope } from '../shared/run-history.js';

/**
 * What migrate would decide from the ledger's runs before it writes anything
 * (src/pipeline/shared/run-history.ts), as plan's findings, so that plan does
 * not say GO where migrate refuses, nor "every row would load" where it does
 * nothing: a refusal blocks with migrate's code and words, an unfinished run
 * of this instance is resumed, files this instance migrated already make
 * migrate a no-op (a resume whose run loaded into a table dropped since is
 * refused). None without a ledger (`past` null: nothing was migrated there).
 *
 * The files are hashed as migrate hashes them; one whose device, inode, size
 * and change time are those the instance's last run recorded is not read
 * again (src/source/source-hash.ts).
 */
export async function runFindings(
  client: pg.Client,
  scope: RunScope,
  past: PastRuns | null,
  files: readonly SourceFile[],
  withRows: ReadonlySet<string>,
  targetExists: (target: string) => boolean | undefined,
): Promise<Finding[]> {
  if (past === null) return [];
  const known = new Map(past.recordedFiles.map((f) => [f.path, f]));
  const hashes: FileHash[] = [];
  // The files migrate loads: those it snapshots (src/source/discover.ts keeps no snapshot of a damaged one).
  for (const f of files.filter((x) => x.status === 'ok' || x.status === 'busy'))
    hashes.push(await hashSourceFile(f.absPath, f.path, known.get(f.path)));
  const decision = decideRun(past, scope.instance, hashes, true);
  const finding = (kind: Finding['kind'], action: Finding['action'], message: string, code?: string): Finding => ({
    file: null,
    table: null,
    column: null,
    kind,
    count: 1,
    action,
    exampleKeys: [],
    message,
    ...(code === undefined ? {} : { code }),
  });
  switch (decision.kind) {
    case 'refuse':
      return [finding('run_refused', 'block', decision.error.message, decision.error.code)];
    case 'resume': {
      const lost = await lostTargets(client, decision.run.run_id, targetExists);
      if (lost !== null) return [finding('run_refused', 'block', lost.message, lost.code)];
      return [
        finding(
          'run_unfinished',
          'keep',
          `run ${decision.run.run_id} of instance ${scope.instance} did not finish (${decision.run.state}) on these same files: migrate resumes it where it stopped, its committed batches kept`,
        ),
      ];
    }
    case 'noop':
      return [
        finding(
          'already_migrated',
          'skip',
          `run ${decision.run.run_id} of instance ${scope.instance} already migrated these files (${decision.run.state}): migrate loads nothing${decision.verify ? ' and verifies that run' : ''}`,
        ),
      ];
    case 'new': {
      const loaded = await filesLoadedElsewhere(client, hashes, withRows, scope.schema);
      return loaded === null ? [] : [finding('run_refused', 'block', loaded.message, loaded.code)];
    }
  }
}
