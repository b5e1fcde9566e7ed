import { openSource } from '../../source/connection.js';
import { parentPort, workerData } from 'node:worker_threads';

/** Runs PRAGMA quick_check on one file off the main thread (src/pipeline/shared/integrity.ts). */
const port = parentPort;
if (port === null) throw new Error('integrity-worker must run as a worker thread');
try {
  const db = openSource((workerData as { readPath: string }).readPath);
  try {
    const rows = db.prepare('PRAGMA quick_check').pluck().all() as string[];
    port.postMessage({ ok: true, result: rows.join('; ') });
  } finally {
    db.close();
  }
} catch (err: unknown) {
  port.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
}
