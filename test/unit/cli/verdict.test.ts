import { describe, expect, it } from 'vitest';
import { renderMigrateText } from '../../../src/cli/render/migrate-text.js';
import { renderVerifyText } from '../../../src/cli/render/verify-text.js';
import { EXIT, type ExitCode, type MigrateReport, type VerifyReport } from '../../../src/index.js';

function verification(ok: boolean): VerifyReport {
  return {
    command: 'verify',
    runId: 'R1',
    instance: 'web-a',
    exitCode: ok ? EXIT.OK : EXIT.VERIFY_DIFFERENCES,
    ok,
    dataDir: '/app/data',
    runState: 'loaded',
    changedFiles: [],
    files: [],
    tables: [],
    seconds: 1,
    message: ok ? 'every table matches its source' : '1 table(s) differ',
  };
}

function migrateReport(exitCode: ExitCode, state: MigrateReport['state'], verify: VerifyReport | null): MigrateReport {
  return {
    command: 'migrate',
    runId: 'R1',
    instance: 'web-a',
    exitCode,
    state,
    resumed: false,
    dataDir: '/app/data',
    target: { dsn: 'postgresql://u:***@db/app', schema: 'public' },
    tables: [],
    findings: [],
    files: [],
    rejectFiles: [],
    rejectDir: '/srv/aragora-migrate-rejects',
    seconds: 2,
    phases: [],
    message: 'run R1 loaded every table',
    verification: verify,
  };
}

const tableRow = {
  source: { file: 'a.db', table: 't' },
  target: 'public.t',
  store: 'x',
  rowsRead: 0,
  rowsLoaded: 0,
  rowsRejected: 0,
  rowsMerged: 0,
  rowsRepaired: 0,
  bytes: 0,
  status: 'ready' as const,
  reason: null,
  targetState: null,
  seconds: 0,
};

/** The verdict is the last line before the `next:` line(s). */
function verdictOf(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.filter((l) => !l.startsWith('next:')).at(-1) ?? '';
}

describe('the end of a run', () => {
  it.each([
    [EXIT.OK, 'loaded', true, /^✓ run R1 loaded and verified \(exit 0\)$/, /archive --run R1 --backup-dir/],
    [EXIT.REJECTED_ROWS, 'loaded', true, /^✓ run R1 loaded and verified.* \(exit 3\)$/, /archive --run R1/],
    [EXIT.OK, 'loaded', false, /^✓ run R1 loaded, not verified \(--no-verify\) \(exit 0\)$/, /verify --run R1/],
    [
      EXIT.VERIFY_DIFFERENCES,
      'loaded',
      'differs',
      /^✗ .*verification found differences.* \(exit 4\)$/,
      /rollback --run R1/,
    ],
    [EXIT.INTERRUPTED, 'interrupted', false, /^✗ run R1 interrupted.* \(exit 130\)$/, /same command again to resume/],
    [EXIT.REFUSED, 'failed', false, /^✗ run R1 failed: .* \(exit 5\)$/, /same command again to resume/],
  ] as const)(
    'exit %i: one verdict line, printed last, says the exit code and what to type next',
    (code, state, verified, verdict, next) => {
      const v = verified === false ? null : verification(verified === true);
      const text = renderMigrateText(migrateReport(code, state, v));
      expect(verdictOf(text)).toMatch(verdict);
      expect(text.trimEnd().split('\n').at(-1)).toMatch(next);
      // No other line claims an exit code: the verification's own ending is not printed inside migrate's.
      expect(text.match(/\(exit \d+\)/g)).toHaveLength(1);
    },
  );

  it('a run that stopped on a coded error says its code, and its hint as what to do next', () => {
    const text = renderMigrateText({
      ...migrateReport(EXIT.REFUSED, 'failed', null),
      message: 'failed: TARGET_LIMIT_EXCEEDED: index row size 8016 exceeds maximum 2704; fix the cause, then …',
      error: {
        code: 'TARGET_LIMIT_EXCEEDED',
        message: 'index row size 8016 exceeds maximum 2704',
        hint: 'Drop that index for the migration, then run the same command again to resume.',
      },
    });
    expect(verdictOf(text)).toBe(
      '✗ run R1 failed: TARGET_LIMIT_EXCEEDED: index row size 8016 exceeds maximum 2704 (exit 5)',
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'next: Drop that index for the migration, then run the same command again to resume.',
    );
  });

  it('says where the time went, phase by phase, and counts the load alone in the total rows/s', () => {
    const r: MigrateReport = {
      ...migrateReport(EXIT.OK, 'loaded', verification(true)),
      seconds: 12,
      phases: [
        { phase: 'snapshot and hashing', seconds: 1 },
        { phase: 'load', seconds: 4 },
        { phase: 'verify', seconds: 7 },
      ],
      tables: [{ ...tableRow, rowsRead: 400, rowsLoaded: 400, seconds: 4 }],
    };
    const text = renderMigrateText(r);
    expect(text).toContain('Phases: snapshot and hashing 1.0 s · load 4.0 s · verify 7.0 s (all 12.0 s)');
    // 400 rows in the 4 s of the load: 100 rows/s, not 400 / 12.
    expect(text).toMatch(/^total .* 4\.0 +100\s*$/m);
  });

  it('says where reject files go even when there are none, as an absolute path', () => {
    const text = renderMigrateText(migrateReport(EXIT.OK, 'loaded', verification(true)));
    expect(text).toContain('Reject files: none (they would be in /srv/aragora-migrate-rejects)');
  });

  it('verify on its own ends with its verdict and the archive command', () => {
    const text = renderVerifyText(verification(true));
    expect(verdictOf(text)).toMatch(/^✓ every table matches its source \(exit 0\)$/);
    expect(text).toMatch(/next: aragora-migrate archive --run R1 --backup-dir <dir>\n$/);
    expect(verdictOf(renderVerifyText(verification(false)))).toMatch(/^✗ run R1: 1 table\(s\) differ \(exit 4\)$/);
    expect(renderVerifyText(verification(false))).toMatch(/next: find the cause, then verify again;/);
  });

  it('verify of a run whose load did not finish says to resume it, not to look for a cause', () => {
    for (const runState of ['interrupted', 'failed', 'running'] as const) {
      const text = renderVerifyText({ ...verification(false), runState });
      expect(text.trimEnd().split('\n').at(-1)).toBe(
        'next: resume the load with the same migrate command (it goes on after its last committed batch), then verify again; or undo the run: aragora-migrate rollback --run R1',
      );
    }
  });
});
