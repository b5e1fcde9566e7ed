import { EXIT, type ExitCode } from '../index.js';
import { reportError } from './report-error.js';

export { EXIT };

/** The table printed under every command's --help. */
export const EXIT_CODE_HELP = `
Exit codes (the same for every command):
  ${EXIT.OK}  done
  ${EXIT.INTERNAL}  unexpected failure (a bug: please report it with the output)
  ${EXIT.USAGE}  usage or configuration error
  ${EXIT.REJECTED_ROWS}  finished, but some rows were rejected (see the reject files / findings)
  ${EXIT.VERIFY_DIFFERENCES}  verification found differences
  ${EXIT.REFUSED}  refused by a preflight (blocking findings, source file in use, lock held, unverified archive)
  ${EXIT.INTERRUPTED} interrupted (Ctrl-C); every committed batch is kept: run the same command to resume
`;

/** Every command's report carries the exit code its outcome means (src/report/*.ts). */
export interface CommandReport {
  readonly command: string;
  readonly exitCode: ExitCode;
}

/** How a command ended: with its report, with what it threw, or with neither (--help, --version). */
export type Outcome = { readonly report: CommandReport } | { readonly error: unknown } | { readonly none: true };

/** A command hands its report here when it ends. */
export type Done = (report: CommandReport) => void;

/** The one place an outcome becomes the process's exit code. */
export function exitCodeOf(outcome: Outcome, verbose: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  if ('report' in outcome) return outcome.report.exitCode;
  if ('error' in outcome) return reportError(outcome.error, verbose, stderr);
  return EXIT.OK;
}
