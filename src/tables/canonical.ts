import { createHash, hash, type Hash } from 'node:crypto';
import { isSliced, valueText, wholeValue, type SlicedValue, type TargetValue } from './value.js';
import { quoteIdent } from '../util/quote.js';
import { float8Text, jsonbText, numericText, numericValueText, timestampText } from './pg-text.js';

/**
 * verify's one text form per value: the text PostgreSQL prints for the target
 * column. The target side is formatted and hashed by the server, in C, in the
 * same SELECT that reads it back; the source side (the converters' output,
 * which is what COPY loaded) is put in that form here, by pg-text. Floats
 * therefore compare by value, JSON by content (jsonb's key order and number
 * scale), timestamps at microsecond precision in UTC.
 *
 * The form follows the column's actual type, not the mapping's: an existing
 * target column of type text holds the loaded text as it was.
 */
export type CanonicalForm =
  'text' | 'jsonb' | 'float8' | 'float4' | 'numeric' | 'bytea' | 'timestamptz' | 'timestamp' | 'check';

export interface ColumnCanon {
  readonly form: CanonicalForm;
  /** The SQL expression that prints the column in that form. */
  readonly expr: string;
}

/** The session settings the forms assume: timestamps in UTC, ISO style; floats in their shortest exact digits. */
export const CANONICAL_SESSION_SQL = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET extra_float_digits = 1";

/** How a target column of PostgreSQL type `type` (format_type's spelling) is read back for comparison. */
export function columnCanon(column: string, type: string): ColumnCanon {
  const c = quoteIdent(column);
  const t = type.toLowerCase();
  if (t === 'timestamp with time zone') return { form: 'timestamptz', expr: `${c}::text` };
  if (t === 'timestamp without time zone') return { form: 'timestamp', expr: `${c}::text` };
  // The converters write booleans as t/f.
  if (t === 'boolean') return { form: 'text', expr: `CASE WHEN ${c} THEN 't' WHEN NOT ${c} THEN 'f' END` };
  if (t === 'bytea') return { form: 'bytea', expr: `encode(${c}, 'hex')` };
  if (t === 'jsonb') return { form: 'jsonb', expr: `${c}::text` };
  if (t === 'json') return { form: 'jsonb', expr: `${c}::jsonb::text` };
  if (t === 'double precision') return { form: 'float8', expr: `${c}::text` };
  // float4 widens to float8 exactly; JavaScript has no shortest float4 printer.
  if (t === 'real') return { form: 'float4', expr: `${c}::float8::text` };
  if (t === 'numeric' || t.startsWith('numeric(')) {
    // By value (see numericValueText): no trailing fractional zeros.
    return {
      form: 'numeric',
      expr: `CASE WHEN strpos(${c}::text, '.') > 0 THEN rtrim(rtrim(${c}::text, '0'), '.') ELSE ${c}::text END`,
    };
  }
  return { form: 'text', expr: `${c}::text` };
}

/**
 * A column the target fills itself (a trigger's `insights.search_vector`),
 * checked rather than compared: the server prints `t` where the column equals
 * the expression the mapping gives (`verifyEquals`), computed from the same
 * row, and `f` where it does not; every source row expects `t`.
 */
export function checkCanon(column: string, expr: string): ColumnCanon {
  return {
    form: 'check',
    expr: `CASE WHEN ${quoteIdent(column)} IS NOT DISTINCT FROM (${expr}) THEN 't' ELSE 'f' END`,
  };
}

/**
 * What the target SELECT returns for a key column: the column in its
 * canonical form (columnCanon), except a bytea, printed `\x…` as the ledger
 * writes it (targetKey, src/tables/target-key.ts) whatever the server's bytea_output.
 * The source side's keys are put in the same form by canonicalKey.
 */
export function keySelectExpr(column: string, type: string): string {
  if (type.toLowerCase() === 'bytea') return `E'\\\\x' || encode(${quoteIdent(column)}, 'hex')`;
  return columnCanon(column, type).expr;
}

/** Key forms whose canonical text is the ledger's key text itself: a text, a boolean's t/f, a bytea's `\x…`. */
function verbatimKey(form: CanonicalForm): boolean {
  return form === 'text' || form === 'bytea' || form === 'check';
}

/** Whether canonicalKey leaves every key of these forms as it is. */
export function keysVerbatim(forms: readonly CanonicalForm[]): boolean {
  return forms.every(verbatimKey);
}

/**
 * A ledger key (targetKey, src/tables/target-key.ts: each part the converter's text)
 * in the form keySelectExpr prints the target's key in, `forms` being the key
 * columns' (columnCanon): a float's or timestamp's text as the server prints
 * it, so a source row, a ledger key and a target row name one row alike. A
 * `rowid:` handle stays as it is.
 */
export function canonicalKey(key: string, forms: readonly CanonicalForm[]): string {
  if (keysVerbatim(forms) || key.startsWith('rowid:')) return key;
  const part = (text: string, form: CanonicalForm): string =>
    verbatimKey(form) ? text : STRING_CANON[form as Exclude<CanonicalForm, 'check'>](text);
  if (forms.length === 1) return part(key, forms[0] as CanonicalForm);
  const parts = JSON.parse(key) as string[];
  return JSON.stringify(parts.map((p, i) => part(p, forms[i] as CanonicalForm)));
}

/**
 * A double's text that float8Text returns as it is: plain digits between
 * 0.001 and 10^14 in magnitude, well inside the range [10^-4, 10^15) it
 * prints without an exponent, so no rounding of the digits can cross it.
 * Checked without parsing the number (the load prints three floats a row
 * on the benchmark).
 */
const PLAIN_FLOAT = /^-?(?:[1-9]\d{0,13}(?:\.\d+)?|0\.\d{0,2}[1-9]\d*)$/;

/** The canonical text of a converted value that is a string (every form but `check`, which prints `t`). */
export type StringCanon = (v: string) => string;

/**
 * One printer per form, so a caller that prints a column's every value
 * (src/tables/row-hasher.ts) looks its printer up once.
 */
export const STRING_CANON: Readonly<Record<Exclude<CanonicalForm, 'check'>, StringCanon>> = {
  text: (v) => v,
  // A bytea column's value reaches here as text only when it was loaded as text.
  bytea: (v) => v,
  jsonb: jsonbText,
  // The converters print a double as String(d), its shortest form, which is PostgreSQL's too in fixed notation.
  float8: (v) => (PLAIN_FLOAT.test(v) ? v : float8Text(Number(v), v)),
  float4: (v) => float8Text(Math.fround(Number(v))),
  numeric: (v) => numericValueText(numericText(v) ?? `\u0000not numeric: ${v}`),
  timestamptz: (v) => timestampText(v, true),
  timestamp: (v) => timestampText(v, false),
};

/** A source value (the converters' output) in the form PostgreSQL prints it; null for NULL. */
export function canonical(v: TargetValue | undefined, form: CanonicalForm): string | null {
  if (form === 'check') return 't';
  if (v === null || v === undefined) return null;
  if (isSliced(v)) return canonical(wholeValue(v), form);
  // bytea goes through COPY as `\x…`, which is also what a text column then holds.
  if (Buffer.isBuffer(v)) return form === 'bytea' ? v.toString('hex') : `\\x${v.toString('hex')}`;
  return STRING_CANON[form](typeof v === 'string' ? v : valueText(v));
}

/**
 * A bytea too big to print whole: rowHash prints it as hex a slice at a time
 * while it hashes, the same bytes canonical() would give (`prefix` and the hex).
 * A huge one is still in the file: its slices are read as it is hashed.
 */
export interface PrintedBytes {
  readonly prefix: '' | '\\x';
  readonly bytes: Buffer | SlicedValue;
}

/** A value as rowHash takes it: canonical()'s text, a big bytea still in bytes, or a huge text still in the file. */
export type Printed = string | PrintedBytes | SlicedValue | null;

/**
 * Strings up to this length are hashed as one text with the rest of their
 * row; a longer one, or a big bytea, makes the row hashed a piece at a time
 * in slices of this size, rather than held again as a row-long string and
 * its UTF-8 copy (four times a 50 MB value, for a row of a text and a blob).
 */
const HASH_WHOLE_UP_TO = 1 << 16;
const HASH_SLICE = 1 << 15;

/** canonical(), except that a big bytea stays in bytes for rowHash (printed in slices there). */
export function canonicalForHash(v: TargetValue | undefined, form: CanonicalForm): Printed {
  if (((Buffer.isBuffer(v) && v.length > HASH_SLICE) || (isSliced(v) && v.sliced === 'bytes')) && form !== 'check')
    return { prefix: form === 'bytea' ? '' : '\\x', bytes: v };
  // A huge text is printed as it is only in a text column; any other form reads it whole.
  if (isSliced(v) && form === 'text') return v;
  return canonical(v, form);
}

/**
 * A row's hash (16 hex characters: the first 8 bytes of a sha256) over its
 * canonical values, each marked `v` (or `n` for NULL) and joined by U+0001,
 * here and by the server in `rowHashExpr` alike. sha256 rather than md5: both
 * OpenSSL here and the server's hash it with the CPU's SHA instructions,
 * measured a third cheaper per row.
 */
export function rowHash(values: readonly Printed[]): string {
  let text = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as Printed;
    if (v !== null && (typeof v !== 'string' || v.length > HASH_WHOLE_UP_TO)) return bigRowHash(values, i, text);
    text += (i === 0 ? '' : '\u0001') + (v === null ? 'n' : `v${v}`);
  }
  // The one-shot hash: no Hash object per row.
  return hash('sha256', text, 'hex').slice(0, 16);
}

/**
 * rowHash over the same bytes, fed a piece at a time from value `from` on
 * (`head`: the text of the values before it). Each piece is encoded on its
 * own, which gives the bytes of the whole text: a piece boundary never falls
 * between the two halves of a surrogate pair (the values are separated by
 * ASCII, and a slice of a value never ends on a high surrogate), so a pair
 * stays 4 bytes and a lone surrogate is U+FFFD either way.
 */
function bigRowHash(values: readonly Printed[], from: number, head: string): string {
  const h = createHash('sha256').update(head, 'utf8');
  for (let i = from; i < values.length; i++) {
    const v = values[i] as Printed;
    h.update(`${i === 0 ? '' : '\u0001'}${v === null ? 'n' : 'v'}`, 'utf8');
    if (v === null) continue;
    if (typeof v === 'string') hashText(h, v);
    else if ('sliced' in v) for (const slice of v.source.textSlices()) hashText(h, slice);
    else {
      h.update(v.prefix, 'utf8');
      const bytes = v.bytes;
      if (Buffer.isBuffer(bytes)) hashHex(h, bytes);
      else for (const slice of bytes.source.byteSlices()) hashHex(h, slice);
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** A text's UTF-8 bytes into the hash, a slice at a time, no slice ending between the halves of a surrogate pair. */
function hashText(h: Hash, v: string): void {
  for (let at = 0; at < v.length;) {
    let end = Math.min(v.length, at + HASH_SLICE);
    if (end < v.length && isHighSurrogate(v.charCodeAt(end - 1))) end--;
    h.update(v.slice(at, end), 'utf8');
    at = end;
  }
}

/** Bytes into the hash as their hex digits, a slice at a time. */
function hashHex(h: Hash, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; at += HASH_SLICE)
    h.update(bytes.toString('hex', at, Math.min(bytes.length, at + HASH_SLICE)), 'latin1');
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * The SQL for rowHash over the given canonical expressions. One concat_ws
 * builds the row's text (a chain of || copies it once per column), and
 * convert_to hashes its UTF-8 bytes whatever the server encoding.
 */
export function rowHashExpr(exprs: readonly string[]): string {
  const text =
    exprs.length === 0 ? `''` : `concat_ws(E'\\x01', ${exprs.map((e) => `coalesce('v' || (${e}), 'n')`).join(', ')})`;
  return `encode(substring(sha256(convert_to(${text}, 'UTF8')) from 1 for 8), 'hex')`;
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
 * An order-independent digest of a set of rows: the row count and the sum,
 * mod 2^64, of the rows' 64-bit hashes (held as two 32-bit halves with the
 * carry). Equal sets give equal digests whatever the order they were read
 * in, and the server computes the same sum in SQL (`digestSql`).
 */
export class SetDigest {
  #count = 0;
  #hi = 0;
  #lo = 0;

  add(hash: string): void {
    this.#count++;
    this.#addHalves(parseInt(hash.slice(0, 8), 16), parseInt(hash.slice(8, 16), 16));
  }

  #addHalves(hi: number, lo: number): void {
    const low = this.#lo + lo;
    this.#lo = low >>> 0;
    this.#hi = (this.#hi + hi + (low > 0xffffffff ? 1 : 0)) >>> 0;
  }

  /** The digest of `count` rows whose hashes sum to `sum` (any integer; taken mod 2^64). */
  static fromSum(count: number, sum: bigint): SetDigest {
    const d = new SetDigest();
    const s = BigInt.asUintN(64, sum);
    d.#count = count;
    d.#hi = Number(s >> 32n);
    d.#lo = Number(s & 0xffffffffn);
    return d;
  }

  /** Adds the rows of another digest (its toString()), as if each had been added here. */
  merge(digest: string): void {
    const colon = digest.indexOf(':');
    this.#count += Number(digest.slice(0, colon));
    this.#addHalves(
      parseInt(digest.slice(colon + 1, colon + 9), 16),
      parseInt(digest.slice(colon + 9, colon + 17), 16),
    );
  }

  get count(): number {
    return this.#count;
  }

  toString(): string {
    return `${this.#count}:${this.#hi.toString(16).padStart(8, '0')}${this.#lo.toString(16).padStart(8, '0')}`;
  }
}

/**
 * The SQL that returns SetDigest's count (`n`) and sum (`sum`, as text) over
 * the 16-hex-digit hashes `hashExpr` gives for the rows of `from`. A 64-bit
 * hash read as a signed bigint sums to the same value mod 2^64.
 */
export function digestSql(hashExpr: string, from: string): string {
  return `SELECT count(*)::text AS n, coalesce(sum(${hashAsBigint('h')}), 0)::text AS sum FROM (SELECT ${hashExpr} AS h FROM ${from}) AS t`;
}

/** SQL: a row hash (16 hex digits) as the signed bigint digestSql sums. */
export function hashAsBigint(hashExpr: string): string {
  return `('x' || (${hashExpr}))::bit(64)::bigint`;
}
