import { type RollbackReport, type RollbackTable } from '../../index.js';
import { formatCount, textTable } from './format.js';

/**
 * Per target table: rows deleted and restored, rows changed since the run
 * (with keys), then the files moved back. A dry run (state `dry-run`) says the
 * same in the conditional, and ends with the command that rolls back for real.
 */
export function renderRollbackText(report: RollbackReport): string {
  const out = [...headerLines(report), ...planLines(report), '', report.message];
  if (report.state === 'dry-run') out.push('', ...dryRunFooter(report));
  out.push('');
  return out.join('\n');
}

/** The dry run's tables and files, without the closing message: what the question before a real rollback shows. */
export function renderRollbackPlan(report: RollbackReport): string {
  return [
    `aragora-migrate rollback: run ${report.runId}, instance ${report.instance}: what it would do`,
    '',
    ...planLines(report),
    '',
  ].join('\n');
}

function headerLines(report: RollbackReport): string[] {
  const dry = report.state === 'dry-run' ? ' --dry-run' : '';
  return [`aragora-migrate rollback${dry}: run ${report.runId}, instance ${report.instance}`, ''];
}

function planLines(report: RollbackReport): string[] {
  const dry = report.state === 'dry-run';
  const out: string[] = [];
  if (report.tables.length > 0) {
    const rows = report.tables.map((t) => [
      t.target,
      formatCount(t.rowsDeleted),
      formatCount(t.rowsRestored),
      formatCount(t.changed),
      dry ? wouldDrop(t) : stateOf(report, t),
    ]);
    const header = dry
      ? ['target', 'would delete', 'would restore', 'changed since', 'would drop']
      : ['target', 'deleted', 'restored', 'changed since', 'state'];
    out.push(textTable(header, rows, new Set([1, 2, 3])));
  }
  const changed = report.tables.filter((t) => t.changedKeys.length > 0);
  if (changed.length > 0) {
    out.push('', changedTitle(report));
    for (const t of changed) {
      for (const k of t.changedKeys) out.push(`  ${t.target} ${k}`);
      if (t.changed > t.changedKeys.length)
        out.push(`  ${t.target}: ${t.changed - t.changedKeys.length} more (raise --max-keys to list them)`);
    }
  }
  const kept = report.tables.filter((t) => t.keptBecause !== null);
  if (kept.length > 0)
    out.push(
      '',
      dry ? 'Created by the run, would be kept' : 'Created by the run, kept',
      ...kept.map((t) => `  ${t.target}: ${t.keptBecause ?? ''}`),
    );
  if (report.filesRestored.length > 0)
    out.push(
      '',
      dry ? 'Archived files it would move back' : 'Files moved back',
      ...report.filesRestored.map((f) => `  ${f}`),
    );
  if (dry && report.filesAlreadyInPlace.length > 0)
    out.push('', 'Archived files already back in place', ...report.filesAlreadyInPlace.map((f) => `  ${f}`));
  return out;
}

export function stateOf(report: RollbackReport, t: RollbackTable): string {
  if (t.alreadyDone) return 'done earlier';
  if (t.gone) return 'gone (dropped since the run, with its rows)';
  if (t.dropped) return 'dropped (created by the run)';
  if (report.state === 'refused') return t.changed > 0 ? 'REFUSED' : 'untouched';
  return 'rolled back';
}

/** Whether the dry run would drop the table, or why not (the reason of a kept table is listed below the table). */
export function wouldDrop(t: RollbackTable): string {
  if (t.alreadyDone) return 'done earlier';
  if (t.gone) return 'no: gone already (dropped since the run)';
  if (t.dropped) return 'yes (created by the run)';
  if (t.keptBecause !== null) return 'no: kept, see below';
  return 'no: existed before the run';
}

export function changedTitle(report: RollbackReport): string {
  if (report.state === 'dry-run')
    return report.forced
      ? 'Changed since the run (would be rolled back anyway: --force)'
      : 'Changed since the run (a rollback refuses them without --force)';
  return report.state === 'refused'
    ? 'Changed since the run (not touched)'
    : 'Changed since the run (rolled back with --force)';
}

/** The dry run's last lines: nothing changed, and the command that does it for real. */
function dryRunFooter(report: RollbackReport): string[] {
  const cmd = `aragora-migrate rollback --run ${report.runId}`;
  const same = '(with the same --database-url and --mappings)';
  if (report.exitCode !== 0)
    return [
      'Dry run: nothing was changed.',
      `To roll back anyway, once the rows above are checked: ${cmd} --force ${same}`,
    ];
  return ['Dry run: nothing was changed.', `To roll back for real: ${cmd}${report.forced ? ' --force' : ''} ${same}`];
}
