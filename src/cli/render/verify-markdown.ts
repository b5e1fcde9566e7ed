import { type VerifyReport } from '../../index.js';
import { formatCount, markdownTable } from './format.js';
import { code, headerLines, nextSteps, section } from './markdown.js';
import { VERIFY_HEADER, verifyRow } from './report-rows.js';
import { verifyVerdict } from './verdict.js';

/**
 * `verify --markdown`: the verification for a change ticket. The header
 * (verdict, run, instance, target, exit code), the tables compared, the keys
 * that differ, the next commands. `target` is the masked DSN: the report
 * itself does not carry it.
 */
export function renderVerifyMarkdown(report: VerifyReport, target: string): string {
  const [verdict = '', ...next] = verifyVerdict(report);
  const out = headerLines({
    title: `verify: run ${report.runId}`,
    verdict,
    runId: report.runId,
    instance: report.instance,
    target,
    fields: [
      ['Data dir', code(report.dataDir)],
      ['Time', `${report.seconds.toFixed(1)} s`],
    ],
    exitCode: report.exitCode,
  });
  out.push(...verifySections(report, '##'), ...section('Next', nextSteps(next)), '');
  return out.join('\n');
}

/**
 * The verification's tables and differences under headings of `level`
 * (`##` on its own, `###` inside migrate's report), with its closing message.
 */
export function verifySections(report: VerifyReport, level: '##' | '###'): string[] {
  const out: string[] = [];
  if (report.changedFiles.length > 0)
    out.push(
      '',
      `> **Note:** these source files changed since the run read them: ${report.changedFiles.map(code).join(', ')}`,
    );
  out.push(
    '',
    `${level} Tables compared`,
    '',
    markdownTable(
      VERIFY_HEADER,
      report.tables.map((t) => verifyRow(t, '**DIFFERS**')),
    ),
  );
  out.push('', `${level} Differences`, '', ...differences(report));
  out.push('', report.message);
  return out;
}

/** Every listed key (target, kind, key, columns), then how many more each table has than listed. */
function differences(report: VerifyReport): string[] {
  const listed = report.tables.filter((t) => t.mismatches.length > 0);
  if (listed.length === 0) return ['None.'];
  const rows = listed.flatMap((t) =>
    t.mismatches.map((m) => [t.target, m.kind, m.key, m.columns === undefined ? '' : m.columns.join(', ')]),
  );
  const more = listed.flatMap((t) => {
    const total = t.missing + t.changed + t.extra;
    return total > t.mismatches.length
      ? [`- ${code(t.target)}: ${formatCount(total - t.mismatches.length)} more (raise --max-keys to list them)`]
      : [];
  });
  return [markdownTable(['target', 'kind', 'key', 'columns'], rows), ...(more.length > 0 ? ['', ...more] : [])];
}
