import { describe, expect, it } from 'vitest';
import { MigrateError } from '../../../../src/errors.js';
import type { RunRow, RunState } from '../../../../src/ledger/runs.js';
import { resolveRun, sameFiles, type RunHistory } from '../../../../src/pipeline/shared/resolve-run.js';
import type { FileHash } from '../../../../src/source/source-hash.js';

const file = (path: string, sha256: string, walSha256: string | null = null): FileHash => ({
  path,
  sizeBytes: 4096,
  sha256,
  walBytes: walSha256 === null ? 0 : 32,
  walSha256,
  identity: null,
});
const files = [file('a.db', 'aa'), file('sub/b.db', 'bb', 'bw')];
const changed = [file('a.db', 'aa'), file('sub/b.db', 'bb', 'bw2')];

const run = (state: RunState): RunRow => ({
  run_id: `r-${state}`,
  instance: 'prod',
  host: 'h',
  data_dir: '/data',
  target_schema: 'public',
  state,
  started_at: new Date(0),
  finished_at: null,
  exit_code: null,
});

const history = (
  latest: RunRow | null,
  recordedFiles: readonly FileHash[],
  hashes: readonly FileHash[] = files,
  verify = true,
  verifiedFiles: readonly FileHash[] | null = null,
): RunHistory => ({ instance: 'prod', latest, recordedFiles, hashes, verify, verifiedFiles });

function refusal(h: RunHistory): MigrateError {
  const d = resolveRun(h);
  if (d.kind !== 'refuse') throw new Error(`expected a refusal, got ${d.kind}`);
  return d.error;
}

describe('resolveRun', () => {
  it('starts a new run when the instance has none', () => {
    expect(resolveRun(history(null, []))).toEqual({ kind: 'new' });
  });

  it('starts a new run after a rolled-back one, whatever its files', () => {
    expect(resolveRun(history(run('rolled-back'), files))).toEqual({ kind: 'new' });
    expect(resolveRun(history(run('rolled-back'), changed))).toEqual({ kind: 'new' });
  });

  it.each(['running', 'interrupted', 'failed'] as const)('resumes a %s run on the same files', (state) => {
    const latest = run(state);
    expect(resolveRun(history(latest, files))).toEqual({ kind: 'resume', run: latest });
  });

  it('matches files in any order', () => {
    const latest = run('interrupted');
    expect(resolveRun(history(latest, [...files].reverse()))).toEqual({ kind: 'resume', run: latest });
  });

  it('does nothing after a verified run on the same files', () => {
    const latest = run('verified');
    expect(resolveRun(history(latest, files))).toEqual({ kind: 'noop', run: latest, verify: false });
  });

  it('verifies a loaded, never verified run on the same files, unless verification is off', () => {
    const latest = run('loaded');
    expect(resolveRun(history(latest, files))).toEqual({ kind: 'noop', run: latest, verify: true });
    expect(resolveRun(history(latest, files, files, false))).toEqual({ kind: 'noop', run: latest, verify: false });
  });

  it('refuses while a rollback is unfinished', () => {
    const err = refusal(history(run('rolling-back'), files));
    expect(err.code).toBe('RUN_ROLLBACK_UNFINISHED');
    expect(err.message).toContain('r-rolling-back');
  });

  it.each(['running', 'interrupted', 'failed'] as const)('refuses to resume a %s run whose files changed', (state) => {
    const err = refusal(history(run(state), files, changed));
    expect(err.code).toBe('RUN_SOURCE_CHANGED');
    expect(err.message).toContain(`(${state})`);
  });

  it.each(['loaded', 'verified'] as const)('refuses to load changed files over a %s run', (state) => {
    expect(refusal(history(run(state), files, changed)).code).toBe('RUN_ALREADY_MIGRATED');
    // A file added since counts as a change too.
    expect(refusal(history(run(state), files, [...files, file('c.db', 'cc')])).code).toBe('RUN_ALREADY_MIGRATED');
  });

  // sqlite3 checkpointed b.db's -wal into it after the run: other bytes, the same rows, which a clean verify proved.
  const checkpointed = [file('a.db', 'aa'), file('sub/b.db', 'bb2')];

  it('does nothing when the files are as a clean verification since read them', () => {
    const latest = run('verified');
    expect(resolveRun(history(latest, files, checkpointed, true, checkpointed))).toEqual({
      kind: 'noop',
      run: latest,
      verify: false,
    });
  });

  it('still refuses files that differ from both the run and its verification', () => {
    expect(refusal(history(run('verified'), files, changed, true, checkpointed)).code).toBe('RUN_ALREADY_MIGRATED');
    // An unfinished run resumes only on its own files.
    expect(refusal(history(run('interrupted'), files, checkpointed, true, checkpointed)).code).toBe(
      'RUN_SOURCE_CHANGED',
    );
  });
});

describe('sameFiles', () => {
  it('compares paths, database bytes and WAL bytes', () => {
    expect(sameFiles(files, [...files].reverse())).toBe(true);
    expect(sameFiles(files, changed)).toBe(false);
    expect(sameFiles(files, [file('a.db', 'ax'), file('sub/b.db', 'bb', 'bw')])).toBe(false);
    expect(sameFiles(files, files.slice(0, 1))).toBe(false);
  });
});
