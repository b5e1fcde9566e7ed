import { createHash } from 'node:crypto';
import type { CompiledTable } from '../../tables/row-converter.js';
import type { SourceValue } from '../../tables/value.js';
import { CopyBuffer } from '../../target/copy-encode.js';
import { toLossless } from '../../tables/lossless.js';
import type { Page } from '../../source/read.js';

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
  readonly keys: readonly string[];
  readonly rejects: readonly object[];
  readonly repairs: readonly object[];
  readonly repairedRows: number;
  /** sha256 of the payload: what this batch sent, for verify to narrow a difference down. */
  readonly digest: string;
}

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
): PreparedBatch {
  const out = new CopyBuffer(Math.ceil(page.bytes * 1.2) + page.rows.length * 48);
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
    if (direct) out.writeRow(row.values);
    else out.writeRow(row.values, String(raw[0]), key);
  }
  const payload = out.bytes();
  return {
    firstRowid: page.firstRowid.toString(),
    lastRowid: page.lastRowid.toString(),
    rowsRead: page.rows.length,
    bytes: page.bytes,
    direct,
    payload,
    loadable,
    keys,
    rejects,
    repairs,
    repairedRows,
    digest: createHash('sha256').update(payload).digest('hex'),
  };
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
