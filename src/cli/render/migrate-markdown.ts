import { type MigrateReport } from '../../index.js';
import { markdownTable } from './format.js';
import { code, findingsTable, headerLines, nextSteps, pathList, section } from './markdown.js';
import { migrateVerdict } from './verdict.js';
import { verifySections } from './verify-markdown.js';
import { MIGRATE_HEADER, migrateRows } from './report-rows.js';

/**
 * `migrate --markdown`: the run for a change ticket. The header (verdict, run,
 * instance, target, exit code), every table with where its rows went, the
 * findings, the reject files, the verification, the next commands: the text
 * report's content (migrate-text.ts), verdict first.
 */
export function renderMigrateMarkdown(report: MigrateReport, opts: { readonly verifyOptions?: string } = {}): string {
  const [line = '', ...next] = migrateVerdict(report, opts.verifyOptions);
  // The text report ends with its verdict; here it comes first, so what it points at is below.
  const verdict = line.replaceAll(' above', ' below');
  const phases = report.phases.map((p) => `${p.phase} ${p.seconds.toFixed(1)} s`).join(' · ');
  const out = headerLines({
    title: `migrate: run ${report.runId}`,
    verdict,
    runId: report.runId,
    instance: report.instance,
    target: report.target.dsn,
    schema: report.target.schema,
    fields: [
      ['Data dir', code(report.dataDir)],
      ['State', `${report.state}${report.resumed ? ' (resumed)' : ''}`],
      ['Time', `${report.seconds.toFixed(1)} s${phases === '' ? '' : ` (${phases})`}`],
    ],
    exitCode: report.exitCode,
  });
  out.push(...section('Tables', [markdownTable(MIGRATE_HEADER, boldTotal(migrateRows(report)))]));
  out.push('', report.message);
  // As in the text report: skipped objects are not news, a key conflict is.
  out.push(
    ...section(
      'Findings',
      findingsTable(report.findings.filter((f) => f.action !== 'skip' || f.kind === 'key_conflict')),
    ),
  );
  out.push(...section('Reject files', pathList(report.rejectFiles)));
  out.push(...section('Verification', verification(report)));
  out.push(...section('Next', nextSteps(next)), '');
  return out.join('\n');
}

function verification(report: MigrateReport): string[] {
  if (report.verification !== undefined && report.verification !== null)
    return verifySections(report.verification, '###').slice(1);
  const verify = code(`aragora-migrate verify --run ${report.runId}`);
  if (report.state === 'noop')
    return [`Not run again: the run had already migrated these files; ${verify} checks the target.`];
  if (report.state === 'loaded') return [`Not run (--no-verify): ${verify} checks the target.`];
  return ['Not run: the run did not finish loading.'];
}

/** The totals row in bold, as Markdown readers expect a table's last line to stand out. */
function boldTotal(rows: string[][]): string[][] {
  return rows.map((r, i) => (i === rows.length - 1 ? [`**${r[0] ?? ''}**`, ...r.slice(1)] : r));
}
