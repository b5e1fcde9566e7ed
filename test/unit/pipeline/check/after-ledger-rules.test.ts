import { describe, expect, it } from 'vitest';
import { judgeLedger, type LedgerFacts } from '../../../../src/pipeline/check/after-ledger-rules.js';
import type { RunListing, RunState } from '../../../../src/ledger/runs.js';

let clock = 0;
function run(id: string, instance: string, state: RunState, dataDir = `/srv/${instance}/data`): RunListing {
  clock += 1;
  return {
    run_id: id,
    instance,
    host: 'h',
    data_dir: dataDir,
    target_schema: 'public',
    state,
    started_at: new Date(2026, 0, 1, 0, 0, 100 - clock),
    finished_at: null,
    exit_code: null,
    error: null,
  };
}

function facts(runs: RunListing[], extra: Partial<LedgerFacts> = {}): LedgerFacts {
  return {
    runs,
    verifications: runs
      .filter((r) => r.state === 'verified')
      .map((r) => ({ runId: r.run_id, verifiedAt: new Date(2026, 0, 2), ok: true })),
    archives: [],
    files: new Map(runs.map((r) => [r.run_id, ['core.db', 'elo.db']])),
    lockHeld: false,
    ...extra,
  };
}

const archivedIn = (runId: string, paths: string[], restored = false): LedgerFacts['archives'] =>
  paths.map((path) => ({
    runId,
    path,
    backupDir: '/backup/web-1',
    sizeBytes: 1,
    sha256: 'x',
    archivedAt: new Date(),
    restoredAt: restored ? new Date() : null,
  }));

describe('the ledger: every run verified, and archived or kept', () => {
  it('fails on an empty ledger, saying nothing was migrated into the database', () => {
    const [item] = judgeLedger(facts([]), [], 'postgresql://u:***@db/aragora');
    expect(item).toMatchObject({ id: 'ledger.runs-finished', status: 'fail', subject: null });
    expect(item?.detail).toBe('no runs yet: nothing was migrated into postgresql://u:***@db/aragora');
    expect(item?.fix).toMatch(/aragora-migrate migrate --data-dir/);
  });

  it('judges only the latest run per instance and data dir, and passes over rolled-back ones', () => {
    // newest first, as listRuns returns them
    const runs = [run('r3', 'web-1', 'verified'), run('r2', 'web-1', 'failed'), run('r1', 'web-2', 'rolled-back')];
    const items = judgeLedger(facts(runs, { archives: archivedIn('r3', ['core.db', 'elo.db']) }), [], 'db');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ subject: 'instance web-1', status: 'pass' });
    expect(items[0]?.detail).toBe('run r3 (/srv/web-1/data) verified, archived in /backup/web-1');
  });

  it('fails an unverified run with the verify command', () => {
    const [item] = judgeLedger(facts([run('r1', 'web-1', 'loaded', '/srv/my data')]), [], 'db');
    expect(item?.status).toBe('fail');
    expect(item?.detail).toBe('run r1 (/srv/my data) is not verified');
    expect(item?.fix).toBe(
      "Verify it: aragora-migrate verify --run r1 --data-dir '/srv/my data' (exit 0 marks it verified).",
    );
  });

  it('fails a run whose latest verification found differences', () => {
    const r = run('r1', 'web-1', 'verified');
    const [item] = judgeLedger(
      facts([r], { verifications: [{ runId: 'r1', verifiedAt: new Date('2026-01-03T00:00:00Z'), ok: false }] }),
      [],
      'db',
    );
    expect(item?.detail).toMatch(/latest verification, 2026-01-03T00:00:00.000Z, found differences/);
  });

  it('fails a verified run whose files are not archived, naming archive and --keep-files; kept passes', () => {
    const runs = [run('r1', 'web-1', 'verified')];
    const [item] = judgeLedger(facts(runs), [], 'db');
    expect(item?.detail).toBe('run r1 (/srv/web-1/data) verified, but its files are still in /srv/web-1/data');
    expect(item?.fix).toMatch(/aragora-migrate archive --run r1 --backup-dir <dir>/);
    expect(item?.fix).toMatch(/--keep-files web-1/);
    expect(judgeLedger(facts(runs), ['web-1'], 'db')[0]).toMatchObject({ status: 'pass', fix: null });
  });

  it('tells a partial archive and a restored one apart', () => {
    const runs = [run('r1', 'web-1', 'verified')];
    const partial = judgeLedger(facts(runs, { archives: archivedIn('r1', ['core.db']) }), [], 'db')[0];
    expect(partial?.detail).toMatch(/only 1 of its 2 files are archived \(in \/backup\/web-1\)/);
    expect(partial?.fix).toMatch(/--backup-dir \/backup\/web-1/);
    const restored = judgeLedger(facts(runs, { archives: archivedIn('r1', ['core.db', 'elo.db'], true) }), [], 'db')[0];
    expect(restored?.detail).toMatch(/its files were restored to \/srv\/web-1\/data/);
  });

  it('fails an unfinished load with the command that resumes it, and one loading now with "wait"', () => {
    const [item] = judgeLedger(facts([run('r1', 'web-1', 'interrupted')]), [], 'db');
    expect(item?.detail).toMatch(/is interrupted: its load did not finish/);
    expect(item?.fix).toBe(
      'Finish it: aragora-migrate migrate --data-dir /srv/web-1/data --instance web-1 resumes it.',
    );
    const stopped = { ...run('r2', 'web-2', 'running'), error: 'cannot connect to postgresql://u:pw@db/x' };
    expect(judgeLedger(facts([stopped]), [], 'db')[0]?.detail).toBe(
      'run r2 (/srv/web-2/data) is interrupted: its load did not finish (cannot connect to postgresql://***@db/x)',
    );
    const live = judgeLedger(facts([run('r3', 'web-3', 'running')], { lockHeld: true }), [], 'db')[0];
    expect(live?.detail).toBe('run r3 (/srv/web-3/data) is loading right now');
    expect(live?.fix).toMatch(/^Wait for the migration to finish/);
  });
});
