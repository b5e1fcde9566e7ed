import { EXIT, loadUnfinished, runErrorText, type MigrateReport, type VerifyReport } from '../../index.js';

/**
 * The last lines a run prints: one verdict that says what the exit code says,
 * with the run id, then the commands to type next. Printed last, so the line an
 * operator reads at the bottom of the screen is never contradicted above it.
 * `verifyOptions`: what verify needs besides the run id to read the run's
 * tables as migrate did (src/config/command-options.ts, and for --auto the data dir).
 */
export function migrateVerdict(report: MigrateReport, verifyOptions = ''): string[] {
  const run = `run ${report.runId}`;
  const verified = report.verification !== undefined && report.verification !== null;
  const verify = `aragora-migrate verify --run ${report.runId}${verifyOptions}`;
  const archive = `aragora-migrate archive --run ${report.runId} --backup-dir <dir>`;
  const rollback = `aragora-migrate rollback --run ${report.runId}`;
  const rejected = report.tables.reduce((n, t) => n + t.rowsRejected, 0);
  switch (report.exitCode) {
    case EXIT.OK:
    case EXIT.REJECTED_ROWS: {
      const rejects =
        rejected > 0 ? `; ${rejected.toLocaleString('en-US')} row(s) rejected, kept in the reject files above` : '';
      if (report.state === 'noop' && !verified)
        return [verdictLine('✓', `nothing to do: ${run} already migrated these files${rejects}`, report.exitCode)];
      if (!verified)
        return [
          verdictLine('✓', `${run} loaded, not verified (--no-verify)${rejects}`, report.exitCode),
          `next: ${verify}`,
        ];
      return [verdictLine('✓', `${run} loaded and verified${rejects}`, report.exitCode), `next: ${archive}`];
    }
    case EXIT.VERIFY_DIFFERENCES:
      return [
        verdictLine('✗', `${run} loaded, but verification found differences (listed above)`, report.exitCode),
        `next: find the cause, then ${verify}; or undo the run: ${rollback}`,
      ];
    case EXIT.INTERRUPTED:
      return [
        verdictLine('✗', `${run} interrupted; every committed batch is kept`, report.exitCode),
        'next: run the same command again to resume',
      ];
    default: {
      // A coded error says what stopped the run and its hint what to do; the message says the same without them.
      const error = report.error ?? null;
      const what = error === null ? report.message : runErrorText(error);
      return [
        verdictLine('✗', `${run} failed: ${what}`, report.exitCode),
        `next: ${error?.hint ?? 'fix the cause, then run the same command again to resume'}`,
      ];
    }
  }
}

/** verify's own ending, when it runs alone. */
export function verifyVerdict(report: VerifyReport): string[] {
  if (report.ok)
    return [
      verdictLine('✓', report.message, report.exitCode),
      `next: aragora-migrate archive --run ${report.runId} --backup-dir <dir>`,
    ];
  const rollback = `aragora-migrate rollback --run ${report.runId}`;
  return [
    verdictLine('✗', `run ${report.runId}: ${report.message}`, report.exitCode),
    loadUnfinished(report)
      ? `next: resume the load with the same migrate command (it goes on after its last committed batch), then verify again; or undo the run: ${rollback}`
      : `next: find the cause, then verify again; or undo the run: ${rollback}`,
  ];
}

function verdictLine(mark: '✓' | '✗', text: string, exitCode: number): string {
  return `${mark} ${text} (exit ${exitCode})`;
}
