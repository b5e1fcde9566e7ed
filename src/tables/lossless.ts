import { isHuge, type SourceValue } from './value.js';

/**
 * A source value in JSON without losing anything, for reject files and the
 * ledger: the storage class travels with the value, integers as decimal text
 * (they may pass 2^53), reals as text (Infinity has no JSON form), text whose
 * bytes are not UTF-8 and blobs as base64.
 */
export type LosslessValue =
  | null
  | { readonly integer: string }
  | { readonly real: string }
  | { readonly text: string }
  | { readonly text_base64: string }
  | { readonly blob_base64: string };

export function toLossless(v: SourceValue, rawText?: Buffer | null): LosslessValue {
  if (v === null) return null;
  // A huge value kept as an original (its row rejected): read whole, as it is the whole value that is kept.
  if (isHuge(v)) return toLossless(v.whole(), rawText);
  if (typeof v === 'bigint') return { integer: v.toString() };
  if (typeof v === 'number') return { real: String(v) };
  if (typeof v === 'string') {
    if (rawText !== undefined && rawText !== null) return { text_base64: rawText.toString('base64') };
    // jsonb cannot hold U+0000, so text with NUL bytes travels as its bytes.
    return v.includes('\0') ? { text_base64: Buffer.from(v, 'utf8').toString('base64') } : { text: v };
  }
  return { blob_base64: v.toString('base64') };
}

export function fromLossless(v: LosslessValue): SourceValue {
  if (v === null) return null;
  if ('integer' in v) return BigInt(v.integer);
  if ('real' in v) return Number(v.real);
  if ('text' in v) return v.text;
  if ('text_base64' in v) return Buffer.from(v.text_base64, 'base64').toString('utf8');
  return Buffer.from(v.blob_base64, 'base64');
}
