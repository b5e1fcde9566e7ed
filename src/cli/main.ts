#!/usr/bin/env node
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';

/** The only place that sets the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (err: unknown) {
    return reportError(err, program.opts<{ verbose?: boolean }>().verbose === true);
  }
  const ran = program.commands.find((c) => c.getOptionValue('exitCode') !== undefined);
  return (ran?.getOptionValue('exitCode') as number | undefined) ?? 0;
}

process.exitCode = await main(process.argv);
