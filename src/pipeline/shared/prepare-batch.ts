import { createHash } from 'node:crypto';
import type { CompiledTable } from '../../tables/row-converter.js';
import { isHuge, type SourceValue, type TargetValue } from '../../tables/value.js';
import { CopyBuffer } from '../../target/copy-encode.js';
import { toLossless } from '../../tables/lossless.js';
import type { Page } from '../../source/read.js';
import { RowDigest, type DigestPlan } from './digest-plan.js';
import { textArrayLiteral, type TextArrayLiteral } from '../../ledger/batches.js';

/** A buffer of at least `bytes` to encode a payload into, from payloads already sent; undefined: allocate one. */
export type BufferReuse = (bytes: number) => Buffer | undefined;

/** Takes one chunk of a batch's COPY bytes; a promise holds the encoder back until the chunk is on its way. */
export type ChunkWriter = (chunk: Buffer) => Promise<void> | undefined;

/** A batch's COPY bytes encoded whole, with their sha256. */
export interface PayloadBody {
  readonly kind: 'payload';
  readonly payload: Uint8Array;
  readonly digest: string;
}

/**
 * A batch's COPY bytes encoded as they are sent, a chunk at a time: a page of
 * huge values would otherwise be held once as values and once as its payload.
 * `encode` may run once; it resolves to the sha256 of every byte written,
 * which is what a payload's digest would be.
 */
export interface StreamBody {
  readonly kind: 'stream';
  encode(write: ChunkWriter): Promise<string>;
}

/** One batch, converted (and encoded, or ready to encode), for COPY and its checkpoint. */
export interface PreparedBatch {
  readonly firstRowid: string;
  readonly lastRowid: string;
  readonly rowsRead: number;
  /** Bytes of source values read. */
  readonly bytes: number;
  /** Encoded for the target (direct) or for the stage (rowid and key appended). */
  readonly direct: boolean;
  /** The COPY bytes; their sha256 is what this batch sent, for verify to narrow a difference down. */
  readonly body: PayloadBody | StreamBody;
  readonly loadable: number;
  /** Keys of the loadable rows, in the ledger's key form. */
  readonly keys: TextArrayLiteral;
  readonly rejects: readonly object[];
  readonly repairs: readonly object[];
  readonly repairedRows: number;
  /** The loadable rows' digest in verify's canonical form (src/pipeline/shared/digest-plan.ts); null without a plan or through the stage. */
  readonly rowDigest: string | null;
}

/** A stream body prepared on this thread: its chunks can also be taken synchronously (the conversion worker posts them). */
export interface LocalStreamBody extends StreamBody {
  /** The chunks in order; the generator's return value is their sha256. May run once, instead of encode. */
  chunks(): Generator<Buffer, string, undefined>;
}

export interface LocalPreparedBatch extends PreparedBatch {
  readonly body: PayloadBody | LocalStreamBody;
}

/**
 * Pages with at least this many bytes of values are streamed (StreamBody);
 * smaller ones (the benchmark's hold about 2 MB) are encoded whole, into one
 * buffer a batch, with no chunk bookkeeping per value.
 */
export const STREAM_FROM = 8 * 1024 * 1024;

/** The buffer a streamed batch is encoded through; each chunk is a new one, since the COPY stream writes it by reference. */
const STREAM_CHUNK = 4 * 1024 * 1024;

/**
 * Converts one page of source rows: each row either encodes into the COPY
 * payload, or becomes a reject (the original values, losslessly, with the
 * reason); repaired values are listed with their originals.
 */
export function prepareBatch(
  page: Page,
  compiled: CompiledTable,
  direct: boolean,
  fetchRaw: (column: string, rowid: bigint) => Buffer | null,
  plan: DigestPlan | null = null,
  reuse: BufferReuse | null = null,
): LocalPreparedBatch {
  // Through the stage, ids and keys can change before the rows land: only a direct batch's rows are as sent.
  const rowDigest = direct && plan !== null ? new RowDigest(plan) : null;
  // A page of huge values is encoded as it is sent, once all its rows are
  // converted: a whole payload would hold every value twice (for a 50 MB
  // text and blob, 150 MB of payload beside the 100 MB of values).
  const size = Math.ceil(page.bytes * 1.2) + page.rows.length * 48;
  const out = page.bytes < STREAM_FROM ? new CopyBuffer(size, reuse?.(size)) : null;
  const held: (HeldRow | null)[] = [];
  let loadable = 0;
  let repairedRows = 0;
  const rejects: object[] = [];
  const repairs: object[] = [];
  const keys: string[] = [];
  for (const raw of page.rows) {
    const row = compiled.convertRow(raw);
    if (row.reject !== null) {
      rejects.push({
        rowid: String(raw[0]),
        key: compiled.keyOf(raw),
        col: row.reject.column,
        kind: row.reject.kind,
        reason: row.reject.message,
        original: losslessRow(compiled, raw, fetchRaw),
      });
      continue;
    }
    if (row.repairs.length > 0) {
      repairedRows++;
      const key = compiled.keyOf(raw);
      for (const r of row.repairs) {
        const original = Buffer.isBuffer(r.original)
          ? { text_base64: r.original.toString('base64') }
          : toLossless(r.original);
        repairs.push({ rowid: String(raw[0]), key, col: r.column, kind: r.kind, original });
      }
    }
    loadable++;
    const key = compiled.keyOf(raw);
    keys.push(key);
    rowDigest?.add(row.values);
    if (out === null) held.push({ values: row.values, extra: direct ? [] : [String(raw[0]), key] });
    else if (direct) out.writeRow(row.values);
    else out.writeRow(row.values, String(raw[0]), key);
  }
  const body: PayloadBody | LocalStreamBody =
    out === null && loadable > 0 ? streamBody(held) : payloadBody((out ?? new CopyBuffer(0)).bytes());
  return {
    firstRowid: page.firstRowid.toString(),
    lastRowid: page.lastRowid.toString(),
    rowsRead: page.rows.length,
    bytes: page.bytes,
    direct,
    body,
    loadable,
    keys: textArrayLiteral(keys),
    rejects,
    repairs,
    repairedRows,
    rowDigest: rowDigest === null ? null : rowDigest.toString(),
  };
}

/** A converted row waiting to be streamed: the row's values and what follows them (rowid and key, through the stage). */
interface HeldRow {
  readonly values: readonly TargetValue[];
  readonly extra: readonly string[];
}

function payloadBody(payload: Uint8Array): PayloadBody {
  return { kind: 'payload', payload, digest: createHash('sha256').update(payload).digest('hex') };
}

function streamBody(held: (HeldRow | null)[]): LocalStreamBody {
  let started = false;
  const chunks = function* (): Generator<Buffer, string, undefined> {
    if (started) throw new Error('a streamed batch is encoded once');
    started = true;
    const out = new CopyBuffer(STREAM_CHUNK);
    const hash = createHash('sha256');
    for (let i = 0; i < held.length; i++) {
      const row = held[i] as HeldRow;
      // Each row's values go as soon as they are encoded (the page may hold them still, the batch no longer does).
      held[i] = null;
      for (const chunk of out.writeRowInChunks(row.values, ...row.extra)) {
        hash.update(chunk);
        yield chunk;
      }
    }
    const last = out.take();
    if (last.length > 0) {
      hash.update(last);
      yield last;
    }
    return hash.digest('hex');
  };
  return {
    kind: 'stream',
    chunks,
    async encode(write: ChunkWriter): Promise<string> {
      const it = chunks();
      for (;;) {
        const next = it.next();
        if (next.done === true) return next.value;
        await write(next.value);
      }
    },
  };
}

function losslessRow(
  compiled: CompiledTable,
  raw: readonly SourceValue[],
  fetchRaw: (column: string, rowid: bigint) => Buffer | null,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  compiled.selectColumns.forEach((name, i) => {
    const read = raw[i + 1] as SourceValue;
    // A rejected row keeps its whole original, a huge value included.
    const v = isHuge(read) ? read.whole() : read;
    const rawBytes = typeof v === 'string' && v.includes('\uFFFD') ? fetchRaw(name, raw[0] as bigint) : null;
    row[name] = toLossless(v, rawBytes);
  });
  return row;
}
