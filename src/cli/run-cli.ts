import { buildProgram } from './program.js';
import { errorReport, requestedOutputs, writeErrorReports } from './error-report.js';
import { exitCodeOf, type Outcome } from './exit-codes.js';
import { EXIT } from '../index.js';

/**
 * Runs the command line and returns the exit code its outcome means
 * (exit-codes.ts). A command that stops on an error still writes the reports
 * it was asked for, as an error report (error-report.ts).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  let outcome: Outcome = { none: true };
  const program = buildProgram((report) => {
    outcome = { report };
  });
  try {
    await program.parseAsync(argv as string[]);
  } catch (error: unknown) {
    outcome = { error };
  }
  const code = exitCodeOf(outcome, program.opts<{ verbose?: boolean }>().verbose === true);
  if ('error' in outcome && code !== EXIT.OK) {
    const asked = requestedOutputs(program, argv);
    if (asked !== null) writeErrorReports(asked.outputs, errorReport(asked.command, outcome.error, code));
  }
  return code;
}
