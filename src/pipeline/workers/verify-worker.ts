import { parentPort, workerData } from 'node:worker_threads';
import { computeExpected, type ExpectedInput } from '../verify/verify-source.js';
import { postedError } from '../../errors.js';

/** Runs computeExpected off the main thread; posts progress, then the result or the error. */
const port = parentPort;
if (port === null) throw new Error('verify-worker must run as a worker thread');
try {
  const result = computeExpected(workerData as ExpectedInput, (done) => port.postMessage({ type: 'rows', done }));
  port.postMessage({ type: 'done', result });
} catch (err: unknown) {
  port.postMessage({ type: 'error', ...postedError(err) });
}
