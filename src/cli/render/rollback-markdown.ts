import { type RollbackReport, type RollbackTable } from '../../index.js';
import { formatCount, markdownTable } from './format.js';
import { code, headerLines, pathList, section } from './markdown.js';
import { changedTitle, stateOf, wouldDrop } from './rollback-text.js';

/**
 * `rollback --markdown`: the rollback (or its dry run) for a change ticket.
 * The header (verdict, run, instance, target, exit code), per target table
 * the rows deleted and restored and the rows changed since with their keys,
 * the tables kept, the files moved back, the next commands: the text report's
 * content (rollback-text.ts), verdict first. `target` is the masked DSN: the
 * report itself does not carry it.
 */
export function renderRollbackMarkdown(report: RollbackReport, target: string): string {
  const dry = report.state === 'dry-run';
  const out = headerLines({
    title: `rollback${dry ? ' --dry-run' : ''}: run ${report.runId}`,
    verdict: `${report.exitCode === 0 ? '✓' : '✗'} ${report.message} (exit ${report.exitCode})`,
    runId: report.runId,
    instance: report.instance,
    target,
    fields: [
      ['State', dry ? 'dry-run (nothing was changed)' : report.state],
      ['Forced', report.forced ? 'yes (--force)' : 'no'],
      ['Time', `${report.seconds.toFixed(1)} s`],
    ],
    exitCode: report.exitCode,
  });
  out.push(...section('Tables', tables(report)));
  const changed = report.tables.filter((t) => t.changedKeys.length > 0);
  if (changed.length > 0) out.push(...section(changedTitle(report), changedKeys(changed)));
  const kept = report.tables.filter((t) => t.keptBecause !== null);
  if (kept.length > 0)
    out.push(
      ...section(
        dry ? 'Created by the run, would be kept' : 'Created by the run, kept',
        kept.map((t) => `- ${code(t.target)}: ${t.keptBecause ?? ''}`),
      ),
    );
  out.push(
    ...section(dry ? 'Archived files it would move back' : 'Archived files moved back', pathList(report.filesRestored)),
  );
  if (dry && report.filesAlreadyInPlace.length > 0)
    out.push(...section('Archived files already back in place', pathList(report.filesAlreadyInPlace)));
  out.push(...section('Next', nextSteps(report)), '');
  return out.join('\n');
}

function tables(report: RollbackReport): string[] {
  if (report.tables.length === 0) return ['None.'];
  const dry = report.state === 'dry-run';
  const header = dry
    ? ['target', 'would delete', 'would restore', 'changed since', 'would drop']
    : ['target', 'deleted', 'restored', 'changed since', 'state'];
  const rows = report.tables.map((t) => [
    t.target,
    formatCount(t.rowsDeleted),
    formatCount(t.rowsRestored),
    formatCount(t.changed),
    dry ? wouldDrop(t) : stateOf(report, t),
  ]);
  const sum = (f: (t: RollbackTable) => number): string => formatCount(report.tables.reduce((n, t) => n + f(t), 0));
  rows.push(['**total**', sum((t) => t.rowsDeleted), sum((t) => t.rowsRestored), sum((t) => t.changed), '']);
  return [markdownTable(header, rows)];
}

/** Every listed key per table, then how many more each table has than listed. */
function changedKeys(changed: readonly RollbackTable[]): string[] {
  const rows = changed.flatMap((t) => t.changedKeys.map((k) => [t.target, k]));
  const more = changed
    .filter((t) => t.changed > t.changedKeys.length)
    .map(
      (t) =>
        `- ${code(t.target)}: ${formatCount(t.changed - t.changedKeys.length)} more (raise --max-keys to list them)`,
    );
  return [markdownTable(['target', 'key'], rows), ...(more.length > 0 ? ['', ...more] : [])];
}

/** What to type next: the real rollback after a dry run, --force after a refusal, status after a rollback. */
function nextSteps(report: RollbackReport): string[] {
  const cmd = `aragora-migrate rollback --run ${report.runId}`;
  const same = '(with the same --database-url and --mappings)';
  if (report.exitCode !== 0)
    return [`- Check the rows changed since (listed above); to roll back anyway: ${code(`${cmd} --force`)} ${same}`];
  if (report.state === 'dry-run')
    return [`- Roll back for real: ${code(`${cmd}${report.forced ? ' --force' : ''}`)} ${same}`];
  return [
    `- Check the ledger: ${code(`aragora-migrate status --run ${report.runId}`)}`,
    '- The instance can be migrated again: `aragora-migrate plan`, then `aragora-migrate migrate`',
  ];
}
