#!/usr/bin/env node
// better-sqlite3 reads SQLITE_USE_URI once, when it loads: set it first, then
// load everything else, so snapshots can open idle WAL files as immutable.
process.env.SQLITE_USE_URI ??= '1';
// A reader that stops early (`| head`) closes the pipe: that ends the output, not in a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { buildProgram } = await import('./program.js');
const { reportError } = await import('./report-error.js');

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
