import { type RollbackReport } from '../../index.js';
import { formatCount, textTable } from './format.js';

/** Per target table: rows deleted and restored, rows changed since the run (with keys), then the files moved back. */
export function renderRollbackText(report: RollbackReport): string {
  const out: string[] = [`aragora-migrate rollback: run ${report.runId}, instance ${report.instance}`, ''];
  if (report.tables.length > 0) {
    const rows = report.tables.map((t) => [
      t.target,
      formatCount(t.rowsDeleted),
      formatCount(t.rowsRestored),
      formatCount(t.changed),
      t.alreadyDone
        ? 'done earlier'
        : t.dropped
          ? 'dropped (created by the run)'
          : report.state === 'refused'
            ? t.changed > 0
              ? 'REFUSED'
              : 'untouched'
            : 'rolled back',
    ]);
    out.push(textTable(['target', 'deleted', 'restored', 'changed since', 'state'], rows, new Set([1, 2, 3])));
  }
  const changed = report.tables.filter((t) => t.changedKeys.length > 0);
  if (changed.length > 0) {
    out.push(
      '',
      report.state === 'refused'
        ? 'Changed since the run (not touched)'
        : 'Changed since the run (rolled back with --force)',
    );
    for (const t of changed) {
      for (const k of t.changedKeys) out.push(`  ${t.target} ${k}`);
      if (t.changed > t.changedKeys.length)
        out.push(`  ${t.target}: ${t.changed - t.changedKeys.length} more (raise --max-keys to list them)`);
    }
  }
  const kept = report.tables.filter((t) => t.keptBecause !== null);
  if (kept.length > 0)
    out.push('', 'Created by the run, empty now, kept', ...kept.map((t) => `  ${t.target}: ${t.keptBecause ?? ''}`));
  if (report.filesRestored.length > 0) out.push('', 'Files moved back', ...report.filesRestored.map((f) => `  ${f}`));
  out.push('', report.message, '');
  return out.join('\n');
}
