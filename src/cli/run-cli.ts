import { buildProgram } from './program.js';
import { exitCodeOf, type Outcome } from './exit-codes.js';

/** Runs the command line and returns the exit code its outcome means (exit-codes.ts). */
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
  return exitCodeOf(outcome, program.opts<{ verbose?: boolean }>().verbose === true);
}
