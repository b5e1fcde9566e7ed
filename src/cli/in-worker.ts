import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * migrate runs in a worker thread whose young generation is capped. V8 sizes
 * a thread's young generation when the thread starts, and the main thread's
 * grows to 32 MiB (two 16 MiB semi-spaces) during a load; a worker's is set
 * by `resourceLimits`, which the main thread's cannot be without a node flag.
 * The main thread, left with nothing to do but wait, keeps the small one it
 * started with. bench/README.md ("Memory") has the figures.
 */
const COMMANDS_IN_WORKER = new Set(['migrate']);

/** The young generation of the thread that runs migrate; see src/pipeline/shared/batch-source.ts for the conversion workers'. */
const CLI_YOUNG_GENERATION_MB = 8;

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

interface Terminal {
  readonly columns: number | undefined;
  readonly rows: number | undefined;
}

export interface CliWorkerData {
  readonly argv: readonly string[];
  /** The main thread's stdout and stderr when they are terminals; null: a pipe or a file. */
  readonly stdout: Terminal | null;
  readonly stderr: Terminal | null;
}

export type CliWorkerMessage =
  | { readonly type: 'exit'; readonly exitCode: number }
  | { readonly type: 'unhandled-signal'; readonly signal: NodeJS.Signals };

/** Whether the command line names a command that runs in a worker: the first word that is not an option. */
export function runsInWorker(argv: readonly string[]): boolean {
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  return command !== undefined && COMMANDS_IN_WORKER.has(command);
}

function terminal(stream: NodeJS.WriteStream): Terminal | null {
  return stream.isTTY === true ? { columns: stream.columns, rows: stream.rows } : null;
}

/**
 * cli-worker.js beside this file; from TypeScript sources (tests, tsx), the
 * .ts file behind a bootstrap that registers tsx first, as
 * src/pipeline/workers/worker-script.ts does for the pipeline's workers (the
 * CLI reaches nothing but the public API, and loading it here would grow this
 * thread's heap).
 */
function cliWorkerScript(): { script: string | URL; eval: boolean } {
  const js = new URL('./cli-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { script: js, eval: false };
  const ts = JSON.stringify(new URL('./cli-worker.ts', import.meta.url).href);
  return { script: `import('tsx/esm/api').then(({ register }) => { register(); return import(${ts}); })`, eval: true };
}

/** Runs the command line in a worker thread (cli-worker.ts) and returns its exit code. */
export async function runCliInWorker(argv: readonly string[]): Promise<number> {
  const { script, eval: isEval } = cliWorkerScript();
  const worker = new Worker(script, {
    eval: isEval,
    workerData: {
      argv,
      stdout: terminal(process.stdout),
      stderr: terminal(process.stderr),
    } satisfies CliWorkerData,
    resourceLimits: { maxYoungGenerationSizeMb: CLI_YOUNG_GENERATION_MB },
  });
  const forward = (signal: NodeJS.Signals): void => worker.postMessage(signal);
  for (const s of SIGNALS) process.on(s, forward);
  let exitCode: number | null = null;
  worker.on('message', (m: CliWorkerMessage) => {
    if (m.type === 'exit') exitCode = m.exitCode;
    else {
      // The command has no handler for it: the signal does what it does to any process.
      for (const s of SIGNALS) process.off(s, forward);
      process.kill(process.pid, m.signal);
    }
  });
  try {
    const code = await new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
    // process.exit in the command ends the worker with its code; otherwise the code it posted.
    return exitCode ?? code;
  } finally {
    for (const s of SIGNALS) process.off(s, forward);
  }
}
