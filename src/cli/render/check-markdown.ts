import { VERSION, type CheckReport } from '../../index.js';
import { verdictWord } from '../output.js';
import { checkVerdict, MARKS, PHASE_TITLES } from './check-text.js';
import { markdownTable } from './format.js';
import { code, section } from './markdown.js';

/**
 * `check --markdown`: the checklist for a change ticket. The verdict, what
 * was checked, then per phase one table row per item: mark, item, subject,
 * what was found, the fix.
 */
export function renderCheckMarkdown(report: CheckReport): string {
  const [verdict = '', ...next] = checkVerdict(report);
  const c = report.counts;
  const out = [
    '# aragora-migrate check',
    '',
    `**Verdict:** ${verdict}`,
    '',
    `- Phases: ${report.phases.map((p) => PHASE_TITLES[p].toLowerCase()).join(', ')}`,
    `- Instances: ${report.instances.length === 0 ? 'none given' : report.instances.map(code).join(', ')}`,
    `- Items: ${c.pass} pass, ${c.fail} fail, ${c.warn} to look at, ${c.skip} not checked`,
    `- Exit code: ${report.exitCode} (${verdictWord(report.exitCode)})`,
    `- Report: aragora-migrate ${VERSION}, ${new Date().toISOString()}`,
  ];
  for (const phase of report.phases)
    out.push(
      ...section(PHASE_TITLES[phase], [
        markdownTable(
          ['', 'item', 'subject', 'found', 'fix'],
          report.items
            .filter((i) => i.phase === phase)
            .map((i) => [MARKS[i.status], i.title, i.subject === null ? '' : code(i.subject), i.detail, i.fix ?? '']),
        ),
      ]),
    );
  if (next.length > 0)
    out.push(
      ...section(
        'Next',
        next.map((l) => `- ${l.replace(/^next: /, '')}`),
      ),
    );
  out.push('');
  return out.join('\n');
}
