import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fromPosted, type PostedError } from '../../errors.js';
import { SetDigest } from '../../tables/canonical.js';
import { rowidSlices } from '../../source/read.js';
import { workerScript } from '../workers/worker-script.js';
import type { Task } from '../shared/tasks.js';
import { WORKER_YOUNG_GENERATION_MB } from '../shared/batch-source.js';
import { computeExpected, type ExpectedInput, type ExpectedResult } from './verify-source.js';

/*
 * The source side of verify (computeExpected, ./verify-source.ts) on worker
 * threads, so the main thread reads the target meanwhile.
 */

/** computeExpected on a worker thread (small tables: here, a worker costs more than it saves). */
export async function runExpected(
  small: boolean,
  input: ExpectedInput,
  onRows: (done: number) => void,
  stop?: AbortSignal,
): Promise<ExpectedResult> {
  if (small) return computeExpected(input, onRows);
  const { script, eval: isEval } = workerScript('verify-worker');
  const worker = new Worker(script, {
    eval: isEval,
    workerData: input,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  const terminate = (): void => void worker.terminate();
  stop?.addEventListener('abort', terminate, { once: true });
  try {
    return await new Promise<ExpectedResult>((resolve, reject) => {
      worker.on(
        'message',
        (
          m:
            | { type: 'rows'; done: number }
            | { type: 'done'; result: ExpectedResult }
            | ({ type: 'error' } & PostedError),
        ) => {
          if (m.type === 'rows') onRows(m.done);
          else if (m.type === 'done') resolve(m.result);
          else reject(fromPosted(m));
        },
      );
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the verification worker exited with code ${code}`)));
    });
  } finally {
    stop?.removeEventListener('abort', terminate);
    await worker.terminate();
  }
}

/**
 * Source workers in the digest pass. The server prints and hashes the target
 * rows, so the source side (read, convert, print, hash) is what verify waits
 * for; it splits by rowid range over the cores.
 */
const SOURCE_WORKERS = Math.max(1, Math.min(4, availableParallelism()));

/** computeExpected over rowid slices of every source, one worker each, the digests summed (they are order-independent). */
export async function expectedInSlices(
  small: boolean,
  input: ExpectedInput,
  tasks: readonly Task[],
  onRows: (done: number) => void,
): Promise<ExpectedResult> {
  if (small || SOURCE_WORKERS === 1) return runExpected(small, input, onRows);
  const slices = tasks.map((task) => rowidSlices(task.snapshot.db, task.spec.source, SOURCE_WORKERS));
  const done = new Array<number>(SOURCE_WORKERS).fill(0);
  // One slice failing stops the others: their work no longer counts.
  const failed = new AbortController();
  const parts = await Promise.all(
    Array.from({ length: SOURCE_WORKERS }, (_, k) =>
      runExpected(
        false,
        { ...input, sources: input.sources.map((src, i) => ({ ...src, rowids: slices[i]?.[k] })) },
        (n) => {
          done[k] = n;
          onRows(done.reduce((a, b) => a + b, 0));
        },
        failed.signal,
      ).catch((err: unknown) => {
        failed.abort();
        throw err;
      }),
    ),
  );
  const digest = new SetDigest();
  for (const p of parts) digest.merge(p.sourceDigest);
  return {
    sourceDigest: digest.toString(),
    rows: digest.count,
    accountedRejected: parts.reduce((n, p) => n + p.accountedRejected, 0),
    accountedResolved: parts.reduce((n, p) => n + p.accountedResolved, 0),
    read: parts.reduce((n, p) => n + p.read, 0),
  };
}
