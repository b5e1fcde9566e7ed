import { type VerifyReport } from '../../index.js';
import { textTable } from './format.js';
import { VERIFY_HEADER, VERIFY_NUMERIC, verifyRow } from './report-rows.js';
import { verifyVerdict } from './verdict.js';

/** Per target table: rows on each side, digest match, and the keys that differ; then the verdict. */
export function renderVerifyText(report: VerifyReport, opts: { readonly width?: number | undefined } = {}): string {
  return `${[...verifyBody(report, opts.width), '', ...verifyVerdict(report)].join('\n')}\n`;
}

/** The verification's table and differences, without an ending (migrate prints its own verdict after it). */
export function verifyBody(report: VerifyReport, width?: number): string[] {
  const out: string[] = [];
  out.push(`aragora-migrate verify: run ${report.runId}, instance ${report.instance}`);
  if (report.changedFiles.length > 0)
    out.push(`note: these source files changed since the run read them: ${report.changedFiles.join(', ')}`);
  out.push('');
  out.push(
    textTable(
      VERIFY_HEADER,
      report.tables.map((t) => verifyRow(t)),
      VERIFY_NUMERIC,
      width,
    ),
  );
  const listed = report.tables.filter((t) => t.mismatches.length > 0);
  if (listed.length > 0) {
    out.push('', 'Differences');
    for (const t of listed) {
      for (const m of t.mismatches)
        out.push(
          `  ${t.target} ${m.kind.padEnd(7)} ${m.key}${m.columns !== undefined && m.columns.length > 0 ? `  (${m.columns.join(', ')})` : ''}`,
        );
      const total = t.missing + t.changed + t.extra;
      if (total > t.mismatches.length)
        out.push(`  ${t.target}: ${total - t.mismatches.length} more (raise --max-keys to list them)`);
    }
  }
  const fromLoad = report.tables.filter((t) => t.sourceDigestFrom === 'load' && t.rowsSource > 0).length;
  if (fromLoad > 0)
    out.push(
      '',
      `source side: ${fromLoad} table(s) from the load's row digests (source files unchanged since the run, same conversion), the rest converted again; --from-source converts all`,
    );
  out.push('', `${report.message} (${report.seconds.toFixed(1)} s)`);
  return out;
}
