import { VERSION, type Finding } from '../../index.js';
import { verdictWord } from '../output.js';
import { formatCount, markdownTable } from './format.js';

/**
 * The parts every run's Markdown report (`--markdown`) shares: the header a
 * change ticket wants (verdict, run, instance, target, exit code, when), the
 * findings table and the next commands. plan has its own (plan-text.ts).
 */

/** Inline code: a path, a key, a command. A backtick inside takes a double fence. */
export function code(text: string): string {
  if (!text.includes('`')) return `\`${text}\``;
  return `\`\` ${text} \`\``;
}

export interface MarkdownHeader {
  /** After `# aragora-migrate `: the command and its run, e.g. `verify: run 2026…`. */
  readonly title: string;
  /** The verdict line the text report ends with (verdict.ts), exit code included. */
  readonly verdict: string;
  readonly runId: string;
  readonly instance: string;
  /** The target DSN, password masked, and where there is one the schema. */
  readonly target: string;
  readonly schema?: string;
  /** Further `- key: value` lines, after the target. */
  readonly fields?: readonly (readonly [string, string])[];
  readonly exitCode: number;
}

/** Title, verdict, then one line per fact: what the run was, where, and how it ended. */
export function headerLines(h: MarkdownHeader): string[] {
  return [
    `# aragora-migrate ${h.title}`,
    '',
    `**Verdict:** ${h.verdict}`,
    '',
    `- Run: ${code(h.runId)}`,
    `- Instance: ${code(h.instance)}`,
    `- Target: ${code(h.target)}${h.schema === undefined ? '' : `, schema ${code(h.schema)}`}`,
    ...(h.fields ?? []).map(([k, v]) => `- ${k}: ${v}`),
    `- Exit code: ${h.exitCode} (${verdictWord(h.exitCode)})`,
    `- Report: aragora-migrate ${VERSION}, ${new Date().toISOString()}`,
  ];
}

/** A `## title` section: a blank line, the heading, a blank line, the body. */
export function section(title: string, body: readonly string[]): string[] {
  return ['', `## ${title}`, '', ...body];
}

/**
 * The `next: …` lines of a verdict (verdict.ts) as a list, each command in
 * code: a command ends at a `;` or at the end of its line.
 */
export function nextSteps(lines: readonly string[]): string[] {
  return lines
    .filter((l) => l.startsWith('next: '))
    .map((l) => `- ${l.slice('next: '.length).replace(/aragora-migrate [^;]*?(?=;|$)/g, (cmd) => code(cmd))}`);
}

function where(f: Finding): string {
  return [f.file, f.table === null ? null : f.column === null ? f.table : `${f.table}.${f.column}`]
    .filter((x) => x !== null)
    .join(' ');
}

/** The findings as one table, or `None.` */
export function findingsTable(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return ['None.'];
  return [
    markdownTable(
      ['action', 'where', 'kind', 'count', 'what', 'example keys'],
      findings.map((f) => [
        f.action,
        where(f),
        f.kind,
        formatCount(f.count),
        `${f.message}${f.code === undefined ? '' : ` (migrate refuses: ${f.code})`}`,
        f.exampleKeys.join(', '),
      ]),
    ),
  ];
}

/** Files (reject files, archived files moved back) as a list of paths, or `None.` */
export function pathList(paths: readonly string[]): string[] {
  return paths.length === 0 ? ['None.'] : paths.map((p) => `- ${code(p)}`);
}
