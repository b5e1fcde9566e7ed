import { type RunStatus, type StatusReport } from '../../index.js';
import { formatBytes, formatCount, textTable } from './format.js';

/** Without --run: every run on one line with a compact table block; with --run: that run in detail. */
export function renderStatusText(report: StatusReport, detail: boolean): string {
  const out: string[] = [`aragora-migrate status: ${report.target}`];
  if (report.runs.length === 0) {
    out.push('', report.message);
    return `${out.join('\n')}\n`;
  }
  if (detail) for (const run of report.runs) out.push('', ...runDetail(run));
  else {
    out.push(`${formatCount(report.runs.length)} run(s), newest first`);
    for (const run of report.runs) out.push('', runLine(run), ...indent(tableBlock(run, false)));
  }
  return `${out.join('\n')}\n`;
}

/**
 * `status --brief`: under the target, a header and then one line per run (newest
 * first): run id, instance, state, start, rows loaded, rejected and merged over
 * its tables, and whether it is verified, archived or rolled back.
 */
export function renderStatusBrief(report: StatusReport): string {
  const out: string[] = [`aragora-migrate status: ${report.target}`];
  if (report.runs.length === 0) return `${[...out, '', report.message].join('\n')}\n`;
  const sum = (run: RunStatus, f: (t: RunStatus['tables'][number]) => number): string =>
    formatCount(run.tables.reduce((n, t) => n + f(t), 0));
  const rows = report.runs.map((run) => [
    run.runId,
    run.instance,
    run.state,
    when(run.startedAt),
    sum(run, (t) => t.rowsLoaded),
    sum(run, (t) => t.rowsRejected),
    sum(run, (t) => t.rowsMerged),
    flags(run),
  ]);
  out.push(
    textTable(['run', 'instance', 'state', 'started', 'loaded', 'rejected', 'merged', ''], rows, new Set([4, 5, 6])),
  );
  return `${out.join('\n')}\n`;
}

/** `2026-11-28T04:50:01.123Z` → `2026-11-28 04:50:01Z`. */
function when(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function flags(run: RunStatus): string {
  return [
    run.verified ? 'verified' : 'not verified',
    run.archived ? 'archived' : null,
    run.rolledBack ? 'rolled back' : null,
  ]
    .filter((x) => x !== null)
    .join(', ');
}

function runLine(run: RunStatus): string {
  const line = `${run.runId}  ${run.state}  instance ${run.instance} on ${run.host}  started ${when(run.startedAt)}  finished ${when(run.finishedAt)}  (${flags(run)})`;
  return run.error === null ? line : `${line}\n    stopped on: ${run.error.split('\n')[0] ?? ''}`;
}

function indent(text: string): string[] {
  return text.split('\n').map((l) => `    ${l}`);
}

function tableBlock(run: RunStatus, full: boolean): string {
  const rows = run.tables.map((t) => [
    t.target,
    `${t.source.file} ${t.source.table}`,
    ...(full ? [formatCount(t.rowsSource), formatCount(t.rowsRead)] : []),
    formatCount(t.rowsLoaded),
    formatCount(t.rowsRejected),
    formatCount(t.rowsMerged),
    ...(full ? [formatCount(t.rowsRepaired)] : []),
    t.state,
  ]);
  const header = [
    'target',
    'source',
    ...(full ? ['source rows', 'read'] : []),
    'loaded',
    'rejected',
    'merged',
    ...(full ? ['repaired'] : []),
    'state',
  ];
  const numeric = new Set(header.map((_, i) => i).filter((i) => i >= 2 && i < header.length - 1));
  return textTable(header, rows, numeric);
}

function runDetail(run: RunStatus): string[] {
  const live = run.archives.filter((a) => a.restoredAt === null);
  const lastCheck = run.verifications.at(-1);
  const fields: [string, string][] = [
    ['run', run.runId],
    ['instance', run.instance],
    ['host', run.host],
    ['data dir', run.dataDir],
    ['schema', run.schema],
    ['state', run.state],
    ['started', when(run.startedAt)],
    ['finished', when(run.finishedAt)],
    ['exit code', run.exitCode === null ? '-' : String(run.exitCode)],
    ...(run.error === null ? [] : [['error', run.error] as [string, string]]),
    [
      'verified',
      `${run.verified ? 'yes' : 'no'}${lastCheck === undefined ? '' : ` (latest check ${when(lastCheck.verifiedAt)}: ${lastCheck.ok ? 'no difference' : 'differences'}; ${run.verifications.length} check(s))`}`,
    ],
    [
      'archived',
      live.length === 0
        ? 'no'
        : `yes: ${live.length} file(s), ${formatBytes(live.reduce((n, a) => n + a.sizeBytes, 0))} in ${[...new Set(live.map((a) => a.backupDir))].join(', ')}`,
    ],
    ['rolled back', run.rolledBack ? 'yes' : 'no'],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  const out = fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  out.push('', 'Tables', ...indent(tableBlock(run, true)));
  if (run.archives.length > 0) {
    out.push('', 'Archived files');
    const rows = run.archives.map((a) => [
      a.path,
      formatBytes(a.sizeBytes),
      a.sha256,
      when(a.archivedAt),
      a.restoredAt === null ? '-' : when(a.restoredAt),
    ]);
    out.push(...indent(textTable(['file', 'size', 'sha256', 'archived', 'restored'], rows, new Set([1]))));
  }
  return out;
}
