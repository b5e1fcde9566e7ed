import { parentPort, workerData } from 'node:worker_threads';
import { runCli } from './run-cli.js';
import type { CliWorkerData, CliWorkerMessage } from './in-worker.js';

/**
 * The command line, run in a worker thread by main.ts (see in-worker.ts): the
 * main thread passes on its terminal's size and the signals it receives.
 */
const data = workerData as CliWorkerData;
const port = parentPort;
if (port === null) throw new Error('cli-worker must run as a worker thread');

// A worker's stdout and stderr are pipes to the main thread's: they take the
// main thread's terminal, so progress and wrapping look as they would there.
for (const [stream, tty] of [
  [process.stdout, data.stdout],
  [process.stderr, data.stderr],
] as const) {
  if (tty === null) continue;
  Object.assign(stream, { isTTY: true, columns: tty.columns, rows: tty.rows });
}

// A signal reaches the main thread only: it is raised here for the command's
// own handler (migrate stops after the current batch); with none, the main
// thread lets it end the process as it would have.
port.on('message', (signal: NodeJS.Signals) => {
  if (process.listenerCount(signal) > 0) process.emit(signal, signal);
  else port.postMessage({ type: 'unhandled-signal', signal } satisfies CliWorkerMessage);
});
port.unref();

const exitCode = await runCli(data.argv);
port.postMessage({ type: 'exit', exitCode } satisfies CliWorkerMessage);
