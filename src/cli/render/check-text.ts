import type { CheckItem, CheckPhase, CheckReport, CheckStatus } from '../../index.js';
import { wrapHanging } from './format.js';

/**
 * check's checklist on the terminal: per phase, one line per item with its
 * mark, what was found under it, and under a ✗ (and a ! or –) what to do.
 * The verdict comes last, as in every command (src/cli/render/verdict.ts).
 */
export const MARKS: Readonly<Record<CheckStatus, string>> = { pass: '✓', fail: '✗', warn: '!', skip: '–' };

export const PHASE_TITLES: Readonly<Record<CheckPhase, string>> = {
  before: 'Before the switch',
  after: 'After the switch',
};

/** The closing lines: the verdict with the exit code, then what to do next when an item failed. */
export function checkVerdict(report: CheckReport): string[] {
  const c = report.counts;
  const total = report.items.length;
  const rest = [c.warn > 0 ? `${c.warn} to look at (!)` : '', c.skip > 0 ? `${c.skip} not checked (–)` : '']
    .filter((s) => s !== '')
    .join(', ');
  if (report.ok)
    return [`✓ no item failed: ${c.pass} of ${total} pass${rest === '' ? '' : `, ${rest}`} (exit ${report.exitCode})`];
  return [
    `✗ ${c.fail} of ${total} item(s) failed: the cutover is not ready${rest === '' ? '' : `; ${rest}`} (exit ${report.exitCode})`,
    'next: apply the fix under each ✗, then run the same aragora-migrate check again',
  ];
}

/** An item's lines; its subject only when it differs from the item before (the PostgreSQL and Redis items share theirs). */
function itemLines(i: CheckItem, previous: CheckItem | undefined, width: number | undefined): string[] {
  const subject = i.subject === null || i.subject === previous?.subject ? '' : ` (${i.subject})`;
  const head = `  ${MARKS[i.status]} ${i.title}${subject}`;
  const out = [
    wrapHanging(head, width, 4),
    wrapHanging(`      ${i.status === 'skip' ? 'not checked: ' : ''}${i.detail}`, width, 6),
  ];
  if (i.fix !== null) out.push(wrapHanging(`      fix: ${i.fix}`, width, 11));
  return out;
}

export function renderCheckText(report: CheckReport, opts: { width?: number | undefined } = {}): string {
  const out: string[] = [
    `aragora-migrate check${report.instances.length === 0 ? '' : `: ${report.instances.length} instance(s): ${report.instances.join(', ')}`}`,
  ];
  for (const phase of report.phases) {
    out.push('', PHASE_TITLES[phase]);
    const items = report.items.filter((x) => x.phase === phase);
    items.forEach((i, n) => out.push(...itemLines(i, items[n - 1], opts.width)));
  }
  out.push('', ...checkVerdict(report));
  return `${out.join('\n')}\n`;
}
