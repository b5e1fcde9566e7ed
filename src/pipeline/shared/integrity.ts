import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SourceError } from '../../errors.js';
import { workerScript } from '../workers/worker-script.js';

/**
 * SQLite's own structural check of a source file (`PRAGMA quick_check`: every
 * page of every b-tree, its cell counts and free space), on a worker thread.
 * A damaged b-tree can return fewer rows without an error, and verify reads
 * the same damaged pages, so every file a run loads is checked in that run.
 * About 1.6 s for a 1 GB file whose pages are cached; reading them cold is
 * bounded by the disk. Resolves with `ok` or the problems SQLite lists.
 */
export function quickCheck(readPath: string, signal?: AbortSignal): Promise<string> {
  if (signal?.aborted === true) return Promise.resolve(NOT_CHECKED);
  const { script, eval: isEval } = workerScript('integrity-worker');
  const worker = new Worker(script, { eval: isEval, workerData: { readPath } });
  const settled = new Promise<string>((resolve, reject) => {
    // A run that stops before its load needs no check: the worker would hold the process open until done.
    const stop = (): void => {
      resolve(NOT_CHECKED);
      void worker.terminate();
    };
    signal?.addEventListener('abort', stop, { once: true });
    // A run checks every file with the one signal: a listener left behind per
    // file made Node warn of a leak (MaxListenersExceededWarning) past ten files.
    const done = (): void => signal?.removeEventListener('abort', stop);
    worker.once('message', (m: { ok: true; result: string } | { ok: false; message: string }) => {
      done();
      if (m.ok) resolve(m.result);
      else resolve(`cannot be checked: ${m.message}`);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      done();
      reject(err);
    });
    worker.once('exit', (code) => {
      done();
      if (code !== 0) reject(new Error(`the integrity check worker exited with code ${code}`));
    });
  });
  return settled;
}

/** What a check stopped by its run resolves with: never judged, as nothing is loaded after it. */
const NOT_CHECKED = 'not checked: the run stopped first';

/** Files checked at once, each on its own worker thread. */
export const CHECKS_AT_ONCE = Math.max(2, Math.min(4, availableParallelism()));

/** Files up to this size are checked before a row moves; bigger ones while the load runs. */
export const CHECK_BEFORE_LOAD_BYTES = 64 * 1024 * 1024;

/** A file SQLite's own check finds damaged stops the run (SOURCE_CORRUPT, exit 5). */
export function assertIntact(path: string, result: string): void {
  if (result !== 'ok')
    throw new SourceError('SOURCE_CORRUPT', `${path} is damaged: ${result.slice(0, 300)}`, { file: path });
}

/** SQLite's result codes for a file it cannot read as a database. */
const DAMAGE = /^SQLITE_(CORRUPT|NOTADB|IOERR|FORMAT)/;

/** A read of `file` that failed because the file is damaged, as the coded error it is (exit 5); null for any other error. */
export function sourceDamage(err: unknown, file: string): SourceError | null {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !DAMAGE.test(code)) return null;
  return new SourceError(
    'SOURCE_CORRUPT',
    `${file} cannot be read: ${err instanceof Error ? err.message : String(err)} (${code})`,
    { file, cause: err },
  );
}
