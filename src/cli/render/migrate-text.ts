import { type MigrateReport } from '../../index.js';
import { findingLine, formatBytes, formatCount, tableCountCells, textTable } from './format.js';
import { migrateVerdict } from './verdict.js';
import { verifyBody } from './verify-text.js';

/** The end-of-run summary, in the spirit of pgloader's: one line per table, then totals. */
/** `width`: a terminal's, to fit the tables to (src/cli/render/format.ts textTable); none in a pipe. */
export function renderMigrateText(report: MigrateReport, opts: { readonly width?: number | undefined } = {}): string {
  const out: string[] = [];
  out.push(
    `aragora-migrate migrate: run ${report.runId}, instance ${report.instance}${report.resumed ? ' (resumed)' : ''}`,
  );
  out.push(`Target: ${report.target.dsn}, schema ${report.target.schema}`, '');
  const rows = report.tables.map((t) => [
    ...tableCountCells(t),
    (t.bytes / 1024 / 1024).toFixed(1),
    t.seconds.toFixed(1),
    t.seconds > 0 ? formatCount(Math.round(t.rowsRead / t.seconds)) : '-',
    t.reason ?? 'done',
  ]);
  const sum = (f: (t: MigrateReport['tables'][number]) => number): number =>
    report.tables.reduce((n, t) => n + f(t), 0);
  // The total's seconds and rows/s are the load's alone; the other phases are listed under the table.
  const loadSeconds = report.phases.find((p) => p.phase === 'load')?.seconds ?? report.seconds;
  rows.push([
    'total',
    '',
    formatCount(sum((t) => t.rowsRead)),
    formatCount(sum((t) => t.rowsLoaded)),
    formatCount(sum((t) => t.rowsRejected)),
    formatCount(sum((t) => t.rowsMerged)),
    formatCount(sum((t) => t.rowsRepaired)),
    (sum((t) => t.bytes) / 1024 / 1024).toFixed(1),
    loadSeconds.toFixed(1),
    loadSeconds > 0 ? formatCount(Math.round(sum((t) => t.rowsRead) / loadSeconds)) : '-',
    '',
  ]);
  out.push(
    textTable(
      ['table', 'target', 'read', 'loaded', 'rejected', 'merged', 'repaired', 'MB', 'seconds', 'rows/s', 'state'],
      rows,
      new Set([2, 3, 4, 5, 6, 7, 8, 9]),
      opts.width,
    ),
  );
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
  if (report.rejectFiles.length > 0) out.push('', 'Reject files', ...report.rejectFiles.map((f) => `  ${f}`));
  out.push('', `${report.message} (${formatBytes(sum((t) => t.bytes))} in ${report.seconds.toFixed(1)} s)`);
  if (report.verification !== undefined && report.verification !== null)
    out.push('', ...verifyBody(report.verification, opts.width));
  out.push('', ...migrateVerdict(report));
  return `${out.join('\n')}\n`;
}
