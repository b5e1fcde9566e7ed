import { openSource } from '../../source/connection.js';
import { postedError, type PostedError } from '../../errors.js';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { TableSpec } from '../../mapping/schema.js';
import { compileTable, type OrphanFilter, type OversizedKeys } from '../../tables/row-converter.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { prepareBatches, type BufferReuse, type PayloadBody, type PreparedBatch } from '../shared/prepare-batch.js';
import type { DigestPlan } from '../shared/digest-plan.js';
import { PageReader, rawTextReader } from '../../source/read.js';

/**
 * Reads, converts and encodes one table off the main thread, so the main
 * thread only moves bytes to PostgreSQL and the two overlap. The worker stays
 * at most `ahead` batches in front of what the main thread has committed:
 * `credits[0]` counts batches it may still send, and it sleeps on it;
 * `credits[1]` counts the chunks of a streamed batch it may still send.
 */
export interface ConvertWorkerData {
  readonly dbPath: string;
  readonly spec: TableSpec;
  readonly sourceColumns: readonly string[];
  readonly sourceTimezone: string;
  readonly orphans: readonly OrphanFilter[];
  readonly oversizedKeys: readonly OversizedKeys[];
  readonly afterRowid: string | null;
  readonly direct: boolean;
  readonly batchRows: number;
  readonly batchBytes: number;
  readonly credits: SharedArrayBuffer;
  /** How to digest the loaded rows for verify; null: no digest. */
  readonly digestPlan: DigestPlan | null;
  /** Payload buffers the main thread has sent to PostgreSQL, handed back to be written into again. */
  readonly recycle: MessagePort;
}

/** What a batch is without its COPY bytes: those come with it (payload), or after it in chunks (stream). */
export type BatchMeta = Omit<PreparedBatch, 'body'>;

/**
 * A batch of ordinary size comes as one message with its payload. A streamed
 * one (a page of huge values) comes as batch-start, its chunks, batch-end:
 * the worker posts a chunk only while `credits[1]` allows, which the main
 * thread raises as it sends each chunk on to PostgreSQL.
 */
export type ConvertWorkerMessage =
  | ({ readonly type: 'batch'; readonly body: PayloadBody } & BatchMeta)
  | ({ readonly type: 'batch-start' } & BatchMeta)
  | { readonly type: 'chunk'; readonly chunk: Uint8Array }
  | { readonly type: 'batch-end'; readonly digest: string }
  | { readonly type: 'done' }
  | ({ readonly type: 'error' } & PostedError);

const data = workerData as ConvertWorkerData;
const port = parentPort;
if (port === null) throw new Error('convert-worker must run as a worker thread');
const credits = new Int32Array(data.credits);

/** Payloads handed back and not yet reused; a few at most, since at most `ahead` + 1 are out at once. */
const returned: Buffer[] = [];
const RETURNED_MAX = 4;
const reuse: BufferReuse = (bytes) => {
  for (let m = receiveMessageOnPort(data.recycle); m !== undefined; m = receiveMessageOnPort(data.recycle))
    if (returned.length < RETURNED_MAX) returned.push(Buffer.from(m.message as ArrayBuffer));
  const i = returned.findIndex((b) => b.length >= bytes);
  return i < 0 ? undefined : returned.splice(i, 1)[0];
};

try {
  const db = openSource(data.dbPath);
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
  // A batch holds no page once prepared: a page of huge values must not stay
  // alive beside its encoded batch while the main thread COPYs.
  for (const batch of prepareBatches(reader, data, compiled, data.direct, fetchRaw, data.digestPlan, reuse)) {
    while (Atomics.load(credits, 0) <= 0) Atomics.wait(credits, 0, 0, 1000);
    Atomics.sub(credits, 0, 1);
    const { body, ...meta } = batch;
    if (body.kind === 'payload') {
      // The payload's memory is its own (CopyBuffer allocates outside Buffer's
      // shared pool), so it moves to the main thread instead of being copied.
      port.postMessage({ type: 'batch', ...meta, body } satisfies ConvertWorkerMessage, [
        body.payload.buffer as ArrayBuffer,
      ]);
      continue;
    }
    port.postMessage({ type: 'batch-start', ...meta } satisfies ConvertWorkerMessage);
    const chunks = body.chunks();
    for (;;) {
      const next = chunks.next();
      if (next.done === true) {
        port.postMessage({ type: 'batch-end', digest: next.value } satisfies ConvertWorkerMessage);
        break;
      }
      while (Atomics.load(credits, 1) <= 0) Atomics.wait(credits, 1, 0, 1000);
      Atomics.sub(credits, 1, 1);
      // Each chunk is a buffer of its own (CopyBuffer.take), moved, never reused here.
      port.postMessage({ type: 'chunk', chunk: next.value } satisfies ConvertWorkerMessage, [
        next.value.buffer as ArrayBuffer,
      ]);
    }
  }
  db.close();
  port.postMessage({ type: 'done' } satisfies ConvertWorkerMessage);
} catch (err: unknown) {
  port.postMessage({ type: 'error', ...postedError(err) } satisfies ConvertWorkerMessage);
}
