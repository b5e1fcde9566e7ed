import type Database from 'better-sqlite3';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { ConvertWorkerData, ConvertWorkerMessage } from '../workers/convert-worker.js';
import { compileTable } from '../../tables/row-converter.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { prepareBatches, type PreparedBatch, type StreamBody } from './prepare-batch.js';
import { PageReader, rawTextReader } from '../../source/read.js';
import { workerScript } from '../workers/worker-script.js';
import { fromPosted } from '../../errors.js';

/** Batches the worker may prepare ahead of the last one the main thread applied. */
const AHEAD = 2;

/** Chunks of a streamed batch the worker may post ahead of the one the main thread is sending on. */
const CHUNKS_AHEAD = 2;

export interface BatchSource extends AsyncIterable<PreparedBatch> {
  /** The main thread has applied `batch`: the worker may prepare one more, into the batch's payload buffer. */
  ack(batch: PreparedBatch): void;
  close(): Promise<void>;
}

/**
 * The young generation of a worker that converts rows. Every worker isolate
 * holds its own; at 32 MiB, two conversion workers and the main thread came
 * to 324 MiB of peak RSS on the benchmark's 1.5M rows, at 8 MiB to about
 * 300, for about 4% more CPU in the workers (more short-lived strings reach
 * the old generation). bench/README.md has the figures.
 */
export const WORKER_YOUNG_GENERATION_MB = 8;

/** Tables smaller than this are converted on the main thread: a worker costs more to start than it saves. */
export const WORKER_MIN_ROWS = 10_000;

/**
 * The same batches, prepared on the calling thread from an open connection:
 * for small tables, where starting a worker (tens of milliseconds, more under
 * tsx) costs more than the conversion itself.
 */
export function localBatchSource(
  db: Database.Database,
  data: Omit<ConvertWorkerData, 'credits' | 'dbPath' | 'recycle'>,
): BatchSource {
  const fetchRaw = rawTextReader(db, data.spec.source);
  const compiled = compileTable(data.spec, data.sourceColumns, {
    offsetOf: timeZoneOffsetFn(data.sourceTimezone),
    fetchRaw,
    orphans: data.orphans,
    oversizedKeys: data.oversizedKeys,
  });
  const reader = new PageReader(db, data.spec.source, compiled.selectColumns, {
    sliceable: compiled.sliceable,
    ...(data.afterRowid !== null ? { afterRowid: BigInt(data.afterRowid) } : {}),
  });
  const batches = prepareBatches(reader, data, compiled, data.direct, fetchRaw, data.digestPlan);
  return {
    ack: () => undefined,
    close: async () => {
      batches.return(undefined);
    },
    async *[Symbol.asyncIterator]() {
      // A batch holds no page once prepared: a page of huge values must not
      // stay alive through the batch's COPY.
      for (let next = batches.next(); next.done !== true; next = batches.next()) yield next.value;
    },
  };
}

export function startBatchSource(data: Omit<ConvertWorkerData, 'credits' | 'recycle'>): BatchSource {
  const credits = new SharedArrayBuffer(8);
  const counter = new Int32Array(credits);
  Atomics.store(counter, 0, AHEAD);
  Atomics.store(counter, 1, CHUNKS_AHEAD);
  // A sent payload goes back to the worker to be written into again. Left
  // here, it would be freed only when this thread's heap is next collected,
  // which, with little else allocated here, let tens of MB of them pile up.
  const { port1: recycle, port2 } = new MessageChannel();
  recycle.unref();
  const { script, eval: isEval } = workerScript('convert-worker');
  const worker = new Worker(script, {
    eval: isEval,
    workerData: { ...data, credits, recycle: port2 } satisfies ConvertWorkerData,
    transferList: [port2],
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  const queue: ConvertWorkerMessage[] = [];
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  const push = (m: ConvertWorkerMessage): void => {
    queue.push(m);
    wake?.();
  };
  worker.on('message', (m: ConvertWorkerMessage) => push(m));
  worker.on('error', (err) => {
    failure = err;
    wake?.();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && failure === null) failure = new Error(`the conversion worker exited with code ${code}`);
    wake?.();
  });
  /** The worker's next message; its error, thrown. */
  const receive = async (): Promise<Exclude<ConvertWorkerMessage, { type: 'error' }>> => {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        if (failure !== null) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      if (m.type === 'error') throw fromPosted(m);
      return m;
    }
  };
  /** A streamed batch's body: its chunks as the worker posts them, each let through once it is sent on. */
  const streamed = (): StreamBody => {
    let started = false;
    return {
      kind: 'stream',
      async encode(write) {
        if (started) throw new Error('a streamed batch is encoded once');
        started = true;
        for (;;) {
          const m = await receive();
          if (m.type === 'batch-end') return m.digest;
          if (m.type !== 'chunk') throw new Error(`the conversion worker sent ${m.type} inside a streamed batch`);
          await write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
          Atomics.add(counter, 1, 1);
          Atomics.notify(counter, 1);
        }
      },
    };
  };

  return {
    ack(batch) {
      if (batch.body.kind === 'payload' && batch.body.payload.byteLength > 0) {
        const sent = batch.body.payload.buffer as ArrayBuffer;
        recycle.postMessage(sent, [sent]);
      }
      Atomics.add(counter, 0, 1);
      Atomics.notify(counter, 0);
    },
    async close() {
      recycle.close();
      await worker.terminate();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const m = await receive();
        if (m.type === 'done') return;
        if (m.type === 'batch') {
          const { type: _type, body, ...meta } = m;
          const payload = Buffer.from(body.payload.buffer, body.payload.byteOffset, body.payload.byteLength);
          yield { ...meta, body: { ...body, payload } };
        } else if (m.type === 'batch-start') {
          const { type: _type, ...meta } = m;
          yield { ...meta, body: streamed() };
        } else throw new Error(`the conversion worker sent ${m.type} outside a streamed batch`);
      }
    },
  };
}
