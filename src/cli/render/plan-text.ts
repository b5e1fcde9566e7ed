import { type Finding, type FindingAction, type PlanReport } from '../../index.js';
import {
  exampleKeysText,
  findingLines,
  findingPlace,
  formatBytes,
  formatCount,
  formatDuration,
  markdownTable,
  tableCountCells,
  textTable,
  wrapHanging,
} from './format.js';

/** How plan's and discover's text is laid out. */
export interface TextOptions {
  /** The terminal's width (terminalWidth in ./format.ts): tables fit it, long lines wrap; undefined in a pipe or a file. */
  readonly width?: number;
}

const ACTION_ORDER: readonly FindingAction[] = ['block', 'reject', 'merge', 'repair', 'keep', 'skip'];

export function verdict(exitCode: number, findings: readonly Finding[] = []): string {
  if (exitCode === 5) return 'NO-GO: the migration cannot proceed (exit 5)';
  // The ledger says these files were migrated already (src/pipeline/plan/run-findings.ts): migrate would load nothing.
  if (findings.some((f) => f.kind === 'already_migrated'))
    return `GO: nothing to load, a run of this instance already migrated these files (exit ${exitCode})`;
  if (exitCode === 3)
    return 'GO WITH REJECTS: every other row would load; the rejected ones go to the reject file (exit 3)';
  return 'GO: every row would load (exit 0)';
}

/** What becomes of an object; a skipped one points at its reason, said once under the table (`skipped [n]`). */
function describeObject(o: PlanReport['files'][number]['objects'][number], reasons: readonly string[]): string {
  if (o.skipReason !== null) return `skipped [${reasons.indexOf(o.skipReason) + 1}]`;
  return o.mappedTo === null ? 'unmapped: not migrated by the mapping set' : `-> ${o.mappedTo}`;
}

function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) || (a.file ?? '').localeCompare(b.file ?? ''),
  );
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

/** One table that is not migrated, and why. */
interface Unmigrated {
  readonly file: string;
  readonly table: string;
  readonly reason: string;
}

/** Items by reason, in the order the reasons first appear. */
function byReason(items: readonly Unmigrated[]): Unmigrated[][] {
  const groups = new Map<string, Unmigrated[]>();
  for (const it of items) groups.set(it.reason, [...(groups.get(it.reason) ?? []), it]);
  return [...groups.values()];
}

/**
 * The tables of one reason, compactly: the tables found in the same files
 * said together, `memory_fts_data, memory_fts_idx in continuum_memory.db, memory.db`.
 */
function placesLines(items: readonly Unmigrated[]): string[] {
  const filesOf = new Map<string, string[]>();
  for (const it of items) filesOf.set(it.table, [...(filesOf.get(it.table) ?? []), it.file]);
  const tablesOf = new Map<string, string[]>();
  for (const [table, files] of filesOf) {
    const key = files.join('\0');
    tablesOf.set(key, [...(tablesOf.get(key) ?? []), table]);
  }
  return [...tablesOf].map(([key, tables]) => {
    const files = key.split('\0');
    return `${tables.join(', ')} in ${files.length > 2 ? `${files.length} files: ` : ''}${files.join(', ')}`;
  });
}

/**
 * plan's tables that are not migrated, each reason said once: a reason met
 * once stays on its table's line; one shared by several tables (the same
 * bookkeeping table in every file) heads the list of the tables it applies to.
 */
function unmigratedLines(items: readonly Unmigrated[], width: number | undefined): string[] {
  const out: string[] = [];
  for (const group of byReason(items)) {
    const [only] = group;
    if (group.length === 1 && only !== undefined) {
      out.push(wrapHanging(`  ${only.file} ${only.table}: ${only.reason}`, width, 4));
      continue;
    }
    out.push(wrapHanging(`  ${group[0]?.reason ?? ''} (${group.length} tables):`, width, 4));
    for (const line of placesLines(group)) out.push(wrapHanging(`    ${line}`, width, 6));
  }
  return out;
}

/** The human report: readable at a glance, verdict last. */
export function renderPlanText(report: PlanReport, opts: TextOptions = {}): string {
  const { width } = opts;
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
    textTable(['file', 'layout', 'stores', 'size', 'wal', 'status'], fileRows(report), new Set(), width),
  );

  if (report.command === 'discover') {
    out.push('', 'Tables');
    const objects = report.files.flatMap((f) => f.objects.map((o) => ({ file: f.path, o })));
    const reasons = [...new Set(objects.flatMap(({ o }) => (o.skipReason === null ? [] : [o.skipReason])))];
    const rows = objects.map(({ file, o }) => [
      file,
      o.name,
      o.type,
      o.rows === null ? '' : formatCount(o.rows),
      describeObject(o, reasons),
    ]);
    out.push(textTable(['file', 'name', 'type', 'rows', ''], rows, new Set([3]), width));
    if (reasons.length > 0) {
      out.push('', 'Skipped');
      reasons.forEach((r, i) => {
        const n = objects.filter(({ o }) => o.skipReason === r).length;
        out.push(wrapHanging(`  [${i + 1}] ${r}: ${n} ${n === 1 ? 'object' : 'objects'}`, width, 6));
      });
    }
  } else {
    out.push('', 'Tables', textTable(TABLE_HEADER, tableRows(report), new Set([2, 3, 4, 5, 6]), width));
    const skipped = report.tables.filter((t) => t.target === null);
    if (skipped.length > 0) {
      out.push('', `Not migrated (${skipped.length})`);
      out.push(
        ...unmigratedLines(
          skipped.map((t) => ({ file: t.source.file, table: t.source.table, reason: t.reason ?? t.status })),
          width,
        ),
      );
    }
  }

  const findings = sortFindings(report.findings);
  out.push('', findings.length === 0 ? 'Findings: none' : `Findings (${findings.length})`);
  out.push(...findingLines(findings, width));
  if (report.estimate !== null) {
    out.push(
      '',
      wrapHanging(
        `Estimate: ${formatCount(report.estimate.rows)} rows, ${formatBytes(report.estimate.bytes)}: loading about ${formatDuration(report.estimate.seconds)}, then verifying about ${formatDuration(report.estimate.verifySeconds)} (${report.estimate.basis})`,
        width,
        2,
      ),
    );
  }
  // The runbook's commands stay on one line each, to be copied whole.
  if (report.runbook.length > 0) {
    out.push('', 'Runbook');
    report.runbook.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  }
  if (report.command === 'plan') out.push('', `Verdict: ${verdict(report.exitCode, report.findings)}`);
  return `${out.join('\n')}\n`;
}

export function renderPlanMarkdown(report: PlanReport): string {
  const out: string[] = [];
  out.push(`# aragora-migrate plan: instance ${report.instance}`, '');
  out.push(`**Verdict:** ${verdict(report.exitCode, report.findings)}`, '');
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
          findings.map((f) => [f.action, findingPlace(f), f.kind, formatCount(f.count), f.message, exampleKeysText(f)]),
        ),
  );
  out.push('', '## Runbook', '', ...report.runbook.map((s, i) => `${i + 1}. ${s}`), '');
  return out.join('\n');
}
