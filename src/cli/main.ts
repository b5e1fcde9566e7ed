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
const { exitCodeOf } = await import('./exit-codes.js');
type Outcome = import('./exit-codes.js').Outcome;

/** Runs the command line and says how it ended; main sets the process exit code from that alone. */
async function run(argv: readonly string[]): Promise<{ outcome: Outcome; verbose: boolean }> {
  let outcome: Outcome = { none: true };
  const program = buildProgram((report) => {
    outcome = { report };
  });
  try {
    await program.parseAsync(argv as string[]);
  } catch (error: unknown) {
    outcome = { error };
  }
  return { outcome, verbose: program.opts<{ verbose?: boolean }>().verbose === true };
}

const { outcome, verbose } = await run(process.argv);
process.exitCode = exitCodeOf(outcome, verbose);
