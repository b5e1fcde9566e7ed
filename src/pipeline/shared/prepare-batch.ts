import { createHash } from 'node:crypto';
import type { CompiledTable } from '../../tables/row-converter.js';
import type { SourceValue, TargetValue } from '../../tables/value.js';
import { CopyBuffer, copyRowBytes } from '../../target/copy-encode.js';
import { toLossless } from '../../tables/lossless.js';
import type { Page } from '../../source/read.js';
import { RowDigest, type DigestPlan } from './digest-plan.js';
import { textArrayLiteral, type TextArrayLiteral } from '../../ledger/batches.js';

/** One batch, converted and encoded, ready for COPY and its checkpoint. */
export interface PreparedBatch {
  readonly firstRowid: string;
  readonly lastRowid: string;
  readonly rowsRead: number;
  /** Bytes of source values read. */
  readonly bytes: number;
  /** Encoded for the target (direct) or for the stage (rowid and key appended). */
  readonly direct: boolean;
  readonly payload: Uint8Array;
  readonly loadable: number;
  /** Keys of the loadable rows, in the ledger's key form. */
  readonly keys: TextArrayLiteral;
  readonly rejects: readonly object[];
  readonly repairs: readonly object[];
  readonly repairedRows: number;
  /** sha256 of the payload: what this batch sent, for verify to narrow a difference down. */
  readonly digest: string;
  /** The loadable rows' digest in verify's canonical form (src/pipeline/shared/digest-plan.ts); null without a plan or through the stage. */
  readonly rowDigest: string | null;
}

/** Pages with at least this many bytes of values are sized exactly (copyRowBytes); the benchmark's pages hold about 2 MB. */
const SIZE_EXACTLY_FROM = 8 * 1024 * 1024;

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
): PreparedBatch {
  // Through the stage, ids and keys can change before the rows land: only a direct batch's rows are as sent.
  const rowDigest = direct && plan !== null ? new RowDigest(plan) : null;
  // A page of huge values is encoded once all its rows are converted, into a
  // buffer of exactly their size: growing an estimate would hold the old and
  // the new buffer at once (for a 50 MB text and blob, hundreds of MB).
  const out =
    page.bytes < SIZE_EXACTLY_FROM ? new CopyBuffer(Math.ceil(page.bytes * 1.2) + page.rows.length * 48) : null;
  const held: HeldRow[] = [];
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
  const payload = (out ?? encodeExactly(held)).bytes();
  return {
    firstRowid: page.firstRowid.toString(),
    lastRowid: page.lastRowid.toString(),
    rowsRead: page.rows.length,
    bytes: page.bytes,
    direct,
    payload,
    loadable,
    keys: textArrayLiteral(keys),
    rejects,
    repairs,
    repairedRows,
    digest: createHash('sha256').update(payload).digest('hex'),
    rowDigest: rowDigest === null ? null : rowDigest.toString(),
  };
}

/** A converted row waiting for its page's exact size: the row's values and what follows them (rowid and key, through the stage). */
interface HeldRow {
  readonly values: readonly TargetValue[];
  readonly extra: readonly string[];
}

function encodeExactly(rows: readonly HeldRow[]): CopyBuffer {
  let size = 0;
  for (const r of rows) size += copyRowBytes(r.values, r.extra);
  const out = new CopyBuffer(size);
  for (const r of rows) out.writeRow(r.values, ...r.extra);
  return out;
}

function losslessRow(
  compiled: CompiledTable,
  raw: readonly SourceValue[],
  fetchRaw: (column: string, rowid: bigint) => Buffer | null,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  compiled.selectColumns.forEach((name, i) => {
    const v = raw[i + 1] as SourceValue;
    const rawBytes = typeof v === 'string' && v.includes('\uFFFD') ? fetchRaw(name, raw[0] as bigint) : null;
    row[name] = toLossless(v, rawBytes);
  });
  return row;
}
