import { createHash } from 'node:crypto';
import type { CompiledTable } from '../../tables/row-converter.js';
import { isHuge, printNumbers, type SourceValue, type TargetValue } from '../../tables/value.js';
import { CopyBuffer } from '../../target/copy-encode.js';
import { BinaryCopyBuffer } from '../../target/binary-copy.js';
import { toLossless } from '../../tables/lossless.js';
import type { Page, PageReader } from '../../source/read.js';
import { RowDigest, type DigestPlan } from './digest-plan.js';
import { textArrayLiteral, type TextArrayLiteral } from '../../ledger/batches.js';

/** A buffer of at least `bytes` to encode a payload into, from payloads already sent; undefined: allocate one. */
export type BufferReuse = (bytes: number) => Buffer | undefined;

/** Takes one chunk of a batch's COPY bytes; a promise holds the encoder back until the chunk is on its way. */
export type ChunkWriter = (chunk: Buffer) => Promise<void> | undefined;

/** A batch's COPY bytes encoded whole, with their digest. */
export interface PayloadBody {
  readonly kind: 'payload';
  readonly payload: Uint8Array;
  /**
   * What the ledger records the batch sent: the sha256 of `payload`, or, for
   * a binary batch, its row digest. A binary batch's row hashes are taken
   * over each row's fields exactly as written into the payload (the rest is
   * the fixed header, each row's field count and the trailer), so they
   * already cover every byte that carries a value; hashing the payload a
   * second time cost about 0.5 s of the workers' CPU on the benchmark's 1.5M
   * rows (docs/performance.md).
   */
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
  /** In COPY's binary format (src/target/binary-copy.ts); else its text format. */
  readonly binary: boolean;
  /** The COPY bytes, with the digest the ledger records for them (PayloadBody.digest). */
  readonly body: PayloadBody | StreamBody;
  readonly loadable: number;
  /** Keys of the loadable rows, in the ledger's key form. */
  readonly keys: TextArrayLiteral;
  readonly rejects: readonly object[];
  readonly repairs: readonly object[];
  readonly repairedRows: number;
  /** The loadable rows' digest in verify's canonical form (src/pipeline/shared/digest-plan.ts); null without a plan. */
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
 * Rows read from SQLite per page while a batch is built. A batch (2,000 rows
 * by default) is read in pages this small and each page converted before the
 * next is read: a page alive while the worker converts survives each young
 * collection it meets and is copied, so a whole batch's page (about 2 MB on
 * the benchmark source) was copied again and again (docs/performance.md).
 */
export const READ_ROWS = 250;

/** How large a batch may grow: rows, and bytes of source values. */
export interface BatchLimits {
  readonly batchRows: number;
  readonly batchBytes: number;
}

/**
 * The batches of a table, each read in pages of READ_ROWS rows that are
 * converted as they come. A batch ends where a page of `batchRows` rows or
 * `batchBytes` bytes would have ended.
 */
export function* prepareBatches(
  reader: PageReader,
  limits: BatchLimits,
  compiled: CompiledTable,
  direct: boolean,
  fetchRaw: (column: string, rowid: bigint) => Buffer | null,
  plan: DigestPlan | null = null,
  reuse: BufferReuse | null = null,
): Generator<LocalPreparedBatch, void, undefined> {
  let carried: Page | null = null;
  for (;;) {
    const batch = new BatchBuilder(limits.batchRows, compiled, direct, fetchRaw, plan, reuse);
    if (carried !== null) batch.add(carried);
    carried = null;
    while (batch.rowsRead < limits.batchRows && batch.bytes < limits.batchBytes) {
      const page = reader.read(Math.min(READ_ROWS, limits.batchRows - batch.rowsRead), limits.batchBytes - batch.bytes);
      if (page === null) break;
      // A binary batch does not stream: the page that would make it starts the next batch.
      if (!batch.accepts(page)) {
        carried = page;
        break;
      }
      batch.add(page);
    }
    if (batch.rowsRead === 0) return;
    yield batch.finish();
  }
}

/**
 * One batch, converted page by page: each row either encodes into the COPY
 * payload, or becomes a reject (the original values, losslessly, with the
 * reason); repaired values are listed with their originals. Once the batch's
 * values reach STREAM_FROM bytes, the rows from that page on are held as
 * converted values and the batch is streamed (StreamBody), the bytes already
 * encoded first: a page of huge values would otherwise be held once as values
 * and once as its payload (for a 50 MB text and blob, 150 MB of payload
 * beside the 100 MB of values).
 */
class BatchBuilder {
  readonly #expectedRows: number;
  readonly #compiled: CompiledTable;
  readonly #direct: boolean;
  readonly #fetchRaw: (column: string, rowid: bigint) => Buffer | null;
  readonly #reuse: BufferReuse | null;
  /**
   * Through the stage too: a row the stage changes (a policy-resolved key, a
   * re-assigned id) is in the ledger, and verify takes the digests only for a
   * table with none (src/pipeline/verify/digest-pass.ts); every other row lands as sent.
   */
  readonly #rowDigest: RowDigest | null;
  /** Per column, its binary kind, where this table's direct batches go in binary (DigestPlan.copyKinds). */
  readonly #copyKinds: DigestPlan['copyKinds'];
  readonly #checks: number;
  #binary = false;
  #out: CopyBuffer | BinaryCopyBuffer | null = null;
  #held: (HeldRow | null)[] | null = null;
  #firstRowid: bigint | null = null;
  #lastRowid: bigint | null = null;
  rowsRead = 0;
  bytes = 0;
  #loadable = 0;
  #repairedRows = 0;
  readonly #rejects: object[] = [];
  readonly #repairs: object[] = [];
  readonly #keys: string[] = [];

  constructor(
    expectedRows: number,
    compiled: CompiledTable,
    direct: boolean,
    fetchRaw: (column: string, rowid: bigint) => Buffer | null,
    plan: DigestPlan | null,
    reuse: BufferReuse | null,
  ) {
    this.#expectedRows = expectedRows;
    this.#compiled = compiled;
    this.#direct = direct;
    this.#fetchRaw = fetchRaw;
    this.#reuse = reuse;
    this.#rowDigest = plan === null ? null : new RowDigest(plan);
    this.#copyKinds = direct && plan !== null ? plan.copyKinds : null;
    // The checked columns after the COPY's: in the row hash, not in the payload.
    this.#checks = this.#copyKinds === null ? 0 : (plan?.binary?.length ?? 0) - this.#copyKinds.length;
  }

  /**
   * Whether `page` may join the batch: not when the batch is binary and the
   * page would make it stream (streamed batches go as text, whose rows cannot
   * share a COPY with binary ones).
   */
  accepts(page: Page): boolean {
    return !(this.#binary && this.rowsRead > 0 && this.#held === null && this.bytes + page.bytes >= STREAM_FROM);
  }

  /** Converts one page of the batch; the page is not kept. */
  add(page: Page): void {
    if (this.#held === null && this.bytes + page.bytes >= STREAM_FROM) this.#held = [];
    if (this.#held === null && this.#out === null) {
      // Sized from the first page for the whole batch, below the streaming
      // threshold; room never written costs no memory (CopyBuffer).
      const pages = Math.ceil(this.#expectedRows / page.rows.length);
      const size = Math.ceil(Math.min(STREAM_FROM, page.bytes * pages) * 1.2) + this.#expectedRows * 48;
      this.#binary = this.#copyKinds !== null;
      this.#out =
        this.#copyKinds !== null
          ? new BinaryCopyBuffer(this.#copyKinds, this.#checks, size, this.#reuse?.(size))
          : new CopyBuffer(size, this.#reuse?.(size));
    }
    this.#firstRowid ??= page.firstRowid;
    this.#lastRowid = page.lastRowid;
    this.rowsRead += page.rows.length;
    this.bytes += page.bytes;
    const compiled = this.#compiled;
    for (const raw of page.rows) {
      const row = compiled.convertRow(raw);
      if (row.reject !== null) {
        this.#rejects.push({
          rowid: String(raw[0]),
          key: compiled.keyOf(raw),
          col: row.reject.column,
          kind: row.reject.kind,
          reason: row.reject.message,
          original: losslessRow(compiled, raw, this.#fetchRaw),
        });
        continue;
      }
      const key = compiled.keyOf(raw, row.values);
      if (row.repairs.length > 0) {
        this.#repairedRows++;
        for (const r of row.repairs) {
          const original = Buffer.isBuffer(r.original)
            ? { text_base64: r.original.toString('base64') }
            : toLossless(r.original);
          this.#repairs.push({ rowid: String(raw[0]), key, col: r.column, kind: r.kind, original });
        }
      }
      this.#loadable++;
      this.#keys.push(key);
      if (this.#binary) {
        // The row hash over the bytes just sent: the binary form's, by construction.
        const hash = (this.#out as BinaryCopyBuffer).writeRow(row.values);
        this.#rowDigest?.addHash(hash);
        continue;
      }
      printNumbers(row.values);
      this.#rowDigest?.add(row.values);
      if (this.#held !== null)
        this.#held.push({ values: row.values, extra: this.#direct ? [] : [String(raw[0]), key] });
      else if (this.#direct) (this.#out as CopyBuffer).writeRow(row.values);
      else (this.#out as CopyBuffer).writeRow(row.values, String(raw[0]), key);
    }
  }

  finish(): LocalPreparedBatch {
    const out = this.#out;
    const encoded = out instanceof BinaryCopyBuffer ? out.finish() : (out ?? new CopyBuffer(0)).bytes();
    this.#out = null;
    const rowDigest = this.#rowDigest === null ? null : this.#rowDigest.toString();
    const body: PayloadBody | LocalStreamBody =
      this.#held !== null && this.#held.length > 0
        ? streamBody(encoded, this.#held)
        : payloadBody(encoded, this.#binary ? rowDigest : null);
    this.#held = null;
    return {
      firstRowid: String(this.#firstRowid),
      lastRowid: String(this.#lastRowid),
      rowsRead: this.rowsRead,
      bytes: this.bytes,
      direct: this.#direct,
      binary: this.#binary,
      body,
      loadable: this.#loadable,
      keys: textArrayLiteral(this.#keys),
      rejects: this.#rejects,
      repairs: this.#repairs,
      repairedRows: this.#repairedRows,
      rowDigest,
    };
  }
}

/** A converted row waiting to be streamed: the row's values and what follows them (rowid and key, through the stage). */
interface HeldRow {
  readonly values: readonly TargetValue[];
  readonly extra: readonly string[];
}

/** `rowDigest`: a binary batch's, which stands for its payload's sha256 (PayloadBody.digest). */
function payloadBody(payload: Uint8Array, rowDigest: string | null): PayloadBody {
  return { kind: 'payload', payload, digest: rowDigest ?? createHash('sha256').update(payload).digest('hex') };
}

/** `encoded`: the batch's rows encoded before it began to stream, sent first (at most about STREAM_FROM bytes). */
function streamBody(encoded: Buffer, held: (HeldRow | null)[]): LocalStreamBody {
  let started = false;
  const chunks = function* (): Generator<Buffer, string, undefined> {
    if (started) throw new Error('a streamed batch is encoded once');
    started = true;
    const hash = createHash('sha256');
    if (encoded.length > 0) {
      hash.update(encoded);
      yield encoded;
    }
    const out = new CopyBuffer(STREAM_CHUNK);
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
