import { hash } from 'node:crypto';
import type { TargetType } from '../mapping/schema.js';
import type { TargetValue } from '../tables/value.js';
import { quoteIdent } from '../util/quote.js';

/**
 * One text form per value that both sides of verify agree on, whatever path
 * the value took: the source value after the converters, and the target value
 * as PostgreSQL gives it back. Floats compare by value (PostgreSQL prints
 * 1.5e-07 where JavaScript prints 1.5e-7), JSON by content (jsonb reorders keys
 * and drops whitespace), timestamps at microsecond precision in UTC.
 */
const NULL_MARK = '\u0000null';

/** What the target SELECT returns for a column: text PostgreSQL formats so JavaScript can canonicalise it. */
export function targetSelectExpr(column: string, type: string): string {
  const c = quoteIdent(column);
  const t = type.toLowerCase();
  if (t.startsWith('timestamp')) return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'`;
  if (t === 'boolean') return `CASE WHEN ${c} THEN 't' WHEN NOT ${c} THEN 'f' END`;
  if (t === 'bytea') return `encode(${c}, 'hex')`;
  return `${c}::text`;
}

/** Canonical text of a value, from either side; `kind` is the mapping's target type. */
export function canonical(v: TargetValue | undefined, kind: TargetType): string {
  if (v === null || v === undefined) return NULL_MARK;
  if (Buffer.isBuffer(v)) return v.toString('hex');
  switch (kind) {
    case 'double precision':
      return String(Number(v));
    case 'jsonb':
      return stableJson(v);
    case 'timestamptz':
      // The converter's form and to_char's above are the same text.
      return v;
    default:
      return v;
  }
}

function stableJson(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `\u0000invalid:${text}`;
  }
  return sortedJson(parsed);
}

/** JSON text with object keys sorted, written straight from the parsed value (no sorted copy is built). */
function sortedJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + sortedJson(v[i]);
    return `${out}]`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out += `${i === 0 ? '' : ','}${JSON.stringify(k)}:${sortedJson(obj[k])}`;
  }
  return `${out}}`;
}

/**
 * A row's canonical values and its hash (16 hex characters). Values are joined
 * by U+0001, which no canonical value holds at a boundary that could make two
 * different rows join alike short of a deliberate construction.
 */
export function rowHash(values: readonly string[]): string {
  // The one-shot hash: no Hash object per row, about half the cost.
  return hash('sha1', values.join('\u0001'), 'hex').slice(0, 16);
}

/**
 * A 52-bit hash of a key (two FNV-1a lanes), exact in a double: verify's
 * scratch tables are keyed by this integer rather than the key text, which
 * makes each insert and lookup several times cheaper. Two keys of a
 * million-row table share one by chance about once in 10^4 tables; a clash
 * shows as a difference to look at, never hides one.
 */
export function keyHash(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

/**
 * An order-independent digest of a set of rows: the row count and the sum of
 * the rows' hashes in two 32-bit lanes. Equal sets give equal digests whatever
 * the order they were read in.
 */
export class SetDigest {
  #count = 0;
  #a = 0;
  #b = 0;

  add(hash: string): void {
    this.#count++;
    this.#a = (this.#a + parseInt(hash.slice(0, 8), 16)) >>> 0;
    this.#b = (this.#b + parseInt(hash.slice(8, 16), 16)) >>> 0;
  }

  get count(): number {
    return this.#count;
  }

  toString(): string {
    return `${this.#count}:${this.#a.toString(16).padStart(8, '0')}${this.#b.toString(16).padStart(8, '0')}`;
  }
}
