import type { Command } from 'commander';
import { isMigrateError, runStoppedBy, VERSION } from '../index.js';
import { toJson, verdictWord, writeOutput, type ReportOutputs } from './output.js';
import { code } from './render/markdown.js';
import { reportedError } from './report-error.js';

/**
 * What `--json` (and `--markdown`) get when a command stops on an error
 * instead of ending with its report (docs/json-report.md, at its top):
 * without it, automation that reads the report file found none, or the
 * previous run's, beside a non-zero exit code.
 */
export interface ErrorReport {
  readonly command: string;
  readonly exitCode: number;
  /** The run the error stopped (the ledger holds it: status shows it, the same command resumes it); null when none was started. */
  readonly runId: string | null;
  /** The error's code, message and hint as stderr shows them; code and hint null for an unexpected error (a bug). */
  readonly error: { readonly code: string | null; readonly message: string; readonly hint: string | null };
}

export function errorReport(command: string, caught: unknown, exitCode: number): ErrorReport {
  const err = reportedError(caught);
  const runId = runStoppedBy(caught) ?? runStoppedBy(err);
  if (isMigrateError(err))
    return { command, exitCode, runId, error: { code: err.code, message: err.message, hint: err.hint } };
  return {
    command,
    exitCode,
    runId,
    error: { code: null, message: err instanceof Error ? err.message : String(err), hint: null },
  };
}

/** The error report for a change ticket: what stopped, the run it stopped, what to do. */
export function renderErrorMarkdown(r: ErrorReport): string {
  const said = r.error.code === null ? 'an unexpected error (a bug: please report it)' : r.error.code;
  return [
    `# aragora-migrate ${r.command}: stopped on an error`,
    '',
    `**Verdict:** stopped on ${said}, exit ${r.exitCode}`,
    '',
    ...(r.runId === null ? [] : [`- Run: ${code(r.runId)} (${code('aragora-migrate status')} shows what it loaded)`]),
    `- Error: ${r.error.message.replaceAll('\n', ' ')}`,
    ...(r.error.hint === null ? [] : [`- Hint: ${r.error.hint}`]),
    `- Exit code: ${r.exitCode} (${verdictWord(r.exitCode)})`,
    `- Report: aragora-migrate ${VERSION}, ${new Date().toISOString()}`,
    '',
  ].join('\n');
}

/**
 * Writes the error report to the outputs the command line asked for (its
 * `--json`, its `--markdown`; neither when both say stdout, the usage
 * error that stopped it). The error is already on stderr: a report that
 * cannot be written is said there too, and changes no exit code.
 */
export function writeErrorReports(
  outputs: ReportOutputs,
  report: ErrorReport,
  stderr: NodeJS.WritableStream = process.stderr,
): void {
  // The report's own file is what failed, or both asked for stdout, which is the usage error: stderr says so.
  if (report.error.code === 'OUTPUT_UNWRITABLE' || (outputs.json === '-' && outputs.markdown === '-')) return;
  const writes: [string | undefined, () => string][] = [
    [outputs.json, () => toJson(report)],
    [outputs.markdown, () => renderErrorMarkdown(report)],
  ];
  for (const [target, render] of writes) {
    if (target === undefined) continue;
    try {
      writeOutput(target, render());
    } catch (err: unknown) {
      stderr.write(`the error report was not written: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

/**
 * The report outputs of the command the command line names: the options
 * commander parsed for it, or, where parsing stopped before them (a usage
 * error), what the arguments say.
 */
export function requestedOutputs(
  program: Command,
  argv: readonly string[],
): { command: string; outputs: ReportOutputs } | null {
  const args = argv.slice(2);
  const name = args.find((a) => !a.startsWith('-'));
  const cmd = program.commands.find((c) => c.name() === name);
  if (cmd === undefined) return null;
  const has = (flag: string): boolean => cmd.options.some((o) => o.long === flag);
  const parsed = cmd.opts<ReportOutputs>();
  const value = (flag: string, given: string | undefined): string | undefined =>
    !has(flag) ? undefined : (given ?? flagValue(args.slice(args.indexOf(name as string) + 1), flag));
  return {
    command: cmd.name(),
    outputs: { json: value('--json', parsed.json), markdown: value('--markdown', parsed.markdown) },
  };
}

/** `--flag value` or `--flag=value` among `args`; undefined when absent or given no value. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  for (const [i, a] of args.entries()) {
    if (a === flag) {
      const next = args[i + 1];
      return next === undefined || (next.startsWith('-') && next !== '-') ? undefined : next;
    }
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}
