import { type MigrateReport } from '../../index.js';
import { findingLine, formatBytes, textTable } from './format.js';
import { MIGRATE_HEADER, MIGRATE_NUMERIC, migrateRows } from './report-rows.js';
import { migrateVerdict } from './verdict.js';
import { verifyBody } from './verify-text.js';

/**
 * The end-of-run summary, in the spirit of pgloader's: one line per table, then
 * totals. `width`: a terminal's, to fit the tables to (src/cli/render/format.ts
 * textTable); none in a pipe. `verifyOptions`: as for migrateVerdict.
 */
export function renderMigrateText(
  report: MigrateReport,
  opts: { readonly width?: number | undefined; readonly verifyOptions?: string } = {},
): string {
  const out: string[] = [];
  out.push(
    `aragora-migrate migrate: run ${report.runId}, instance ${report.instance}${report.resumed ? ' (resumed)' : ''}`,
  );
  out.push(`Target: ${report.target.dsn}, schema ${report.target.schema}`, '');
  out.push(textTable(MIGRATE_HEADER, migrateRows(report), MIGRATE_NUMERIC, opts.width));
  if (report.phases.length > 0)
    out.push(
      '',
      `Phases: ${report.phases.map((p) => `${p.phase} ${p.seconds.toFixed(1)} s`).join(' · ')} (all ${report.seconds.toFixed(1)} s)`,
    );
  const notable = report.findings.filter((f) => f.action !== 'skip' || f.kind === 'key_conflict');
  if (notable.length > 0) {
    out.push('', 'Findings');
    for (const f of notable) out.push(findingLine(f));
  }
  out.push(
    '',
    ...(report.rejectFiles.length > 0
      ? ['Reject files', ...report.rejectFiles.map((f) => `  ${f}`)]
      : [`Reject files: none (they would be in ${report.rejectDir})`]),
  );
  out.push(
    '',
    `${report.message} (${formatBytes(report.tables.reduce((n, t) => n + t.bytes, 0))} in ${report.seconds.toFixed(1)} s)`,
  );
  if (report.verification !== undefined && report.verification !== null)
    out.push('', ...verifyBody(report.verification, opts.width));
  out.push('', ...migrateVerdict(report, opts.verifyOptions));
  return `${out.join('\n')}\n`;
}
