import { type Finding, type FindingAction, type PlanReport } from '../../index.js';
import {
  findingLine,
  formatBytes,
  formatCount,
  formatDuration,
  markdownTable,
  tableCountCells,
  textTable,
} from './format.js';

const ACTION_ORDER: readonly FindingAction[] = ['block', 'reject', 'merge', 'repair', 'keep', 'skip'];

export function verdict(exitCode: number): string {
  if (exitCode === 5) return 'NO-GO: the migration cannot proceed (exit 5)';
  if (exitCode === 3)
    return 'GO WITH REJECTS: every other row would load; the rejected ones go to the reject file (exit 3)';
  return 'GO: every row would load (exit 0)';
}

function describeObject(o: PlanReport['files'][number]['objects'][number]): string {
  if (o.skipReason !== null) return `skipped: ${o.skipReason}`;
  return o.mappedTo === null ? 'unmapped: not migrated by the mapping set' : `-> ${o.mappedTo}`;
}

function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) || (a.file ?? '').localeCompare(b.file ?? ''),
  );
}

function where(f: Finding): string {
  return [f.file, f.table === null ? null : f.column === null ? f.table : `${f.table}.${f.column}`]
    .filter((x) => x !== null)
    .join(' ');
}

function fileRows(report: PlanReport): string[][] {
  return report.files.map((f) => [
    f.path,
    f.layout,
    f.stores.join(',') || '-',
    formatBytes(f.sizeBytes),
    f.walBytes > 0 ? formatBytes(f.walBytes) : '-',
    f.status,
  ]);
}

function tableRows(report: PlanReport): string[][] {
  return report.tables
    .filter((t) => t.target !== null)
    .map((t) => [
      ...tableCountCells(t),
      t.targetState === null
        ? ''
        : t.targetState.exists
          ? `exists, ${formatCount(t.targetState.rows)} rows`
          : 'created',
      t.status,
    ]);
}

const TABLE_HEADER = ['source', 'target', 'rows', 'load', 'reject', 'merge', 'repair', 'target state', 'status'];

/** The human report: readable at a glance, verdict last. */
export function renderPlanText(report: PlanReport): string {
  const out: string[] = [];
  out.push(`aragora-migrate ${report.command}: instance ${report.instance}, data dir ${report.dataDir}`);
  if (report.command === 'plan') {
    out.push(
      report.target === null
        ? 'Target: not checked (no DSN given)'
        : `Target: ${report.target.dsn} (PostgreSQL ${report.target.serverVersion}), schema ${report.target.schema}`,
    );
  }
  out.push(
    '',
    `Files (${report.files.length})`,
    textTable(['file', 'layout', 'stores', 'size', 'wal', 'status'], fileRows(report)),
  );

  if (report.command === 'discover') {
    out.push('', 'Tables');
    const rows = report.files.flatMap((f) =>
      f.objects.map((o) => [f.path, o.name, o.type, o.rows === null ? '' : formatCount(o.rows), describeObject(o)]),
    );
    out.push(textTable(['file', 'name', 'type', 'rows', ''], rows, new Set([3])));
  } else {
    out.push('', 'Tables', textTable(TABLE_HEADER, tableRows(report), new Set([2, 3, 4, 5, 6])));
    const skipped = report.tables.filter((t) => t.target === null);
    if (skipped.length > 0) {
      out.push('', 'Not migrated');
      for (const t of skipped) out.push(`  ${t.source.file} ${t.source.table}: ${t.reason ?? t.status}`);
    }
  }

  const findings = sortFindings(report.findings);
  out.push('', findings.length === 0 ? 'Findings: none' : `Findings (${findings.length})`);
  for (const f of findings) out.push(findingLine(f));
  if (report.estimate !== null) {
    out.push(
      '',
      `Estimate: ${formatCount(report.estimate.rows)} rows, ${formatBytes(report.estimate.bytes)}: loading about ${formatDuration(report.estimate.seconds)}, then verifying about ${formatDuration(report.estimate.verifySeconds)} (${report.estimate.basis})`,
    );
  }
  if (report.runbook.length > 0) {
    out.push('', 'Runbook');
    report.runbook.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  }
  if (report.command === 'plan') out.push('', `Verdict: ${verdict(report.exitCode)}`);
  return `${out.join('\n')}\n`;
}

export function renderPlanMarkdown(report: PlanReport): string {
  const out: string[] = [];
  out.push(`# aragora-migrate plan: instance ${report.instance}`, '');
  out.push(`**Verdict:** ${verdict(report.exitCode)}`, '');
  out.push(`- Data dir: \`${report.dataDir}\``);
  out.push(
    `- Target: ${report.target === null ? 'not checked (no DSN given)' : `\`${report.target.dsn}\` (PostgreSQL ${report.target.serverVersion}), schema \`${report.target.schema}\``}`,
  );
  if (report.estimate !== null)
    out.push(
      `- Estimate: ${formatCount(report.estimate.rows)} rows, ${formatBytes(report.estimate.bytes)}: loading about ${formatDuration(report.estimate.seconds)}, then verifying about ${formatDuration(report.estimate.verifySeconds)} (${report.estimate.basis})`,
    );
  out.push('', '## Files', '', markdownTable(['file', 'layout', 'stores', 'size', 'wal', 'status'], fileRows(report)));
  out.push('', '## Tables', '', markdownTable(TABLE_HEADER, tableRows(report)));
  const skipped = report.tables.filter((t) => t.target === null);
  if (skipped.length > 0)
    out.push(
      '',
      '## Not migrated',
      '',
      ...skipped.map((t) => `- \`${t.source.file}\` \`${t.source.table}\`: ${t.reason ?? t.status}`),
    );
  out.push('', '## Findings', '');
  const findings = sortFindings(report.findings);
  out.push(
    findings.length === 0
      ? 'None.'
      : markdownTable(
          ['action', 'where', 'kind', 'count', 'what', 'example keys'],
          findings.map((f) => [f.action, where(f), f.kind, formatCount(f.count), f.message, f.exampleKeys.join(', ')]),
        ),
  );
  out.push('', '## Runbook', '', ...report.runbook.map((s, i) => `${i + 1}. ${s}`), '');
  return out.join('\n');
}
