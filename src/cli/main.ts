#!/usr/bin/env node
// better-sqlite3 reads SQLITE_USE_URI once, when it loads: set it first, then
// load everything else, so snapshots can open idle WAL files as immutable.
process.env.SQLITE_USE_URI ??= '1';
// V8 lets a heap grow by a factor of 1.5 to 4 after each full collection, so
// each thread's old generation ends up holding several times what is alive.
// At 1.1 the benchmark's 1.5M-row load peaked at 255-280 MiB instead of
// 285-310, with no measurable CPU added (bench/README.md, "Memory"). The flag
// is the process's: the conversion workers, started later, get it too, and
// V8 reads it at every collection, so setting it here, before any work, does
// what `node --heap-growing-percent=10` does.
(await import('node:v8')).setFlagsFromString('--heap-growing-percent=10');
// A reader that stops early (`| head`) closes the pipe: that ends the output, not in a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { runsInWorker, runCliInWorker } = await import('./in-worker.js');
if (runsInWorker(process.argv)) {
  // Nothing more is loaded here: what this thread loads grows its young generation (in-worker.ts).
  process.exitCode = await runCliInWorker(process.argv).catch(async (error: unknown) => {
    const { exitCodeOf } = await import('./exit-codes.js');
    return exitCodeOf({ error }, process.argv.includes('--verbose'));
  });
} else {
  const { runCli } = await import('./run-cli.js');
  process.exitCode = await runCli(process.argv);
}
