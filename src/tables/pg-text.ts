/**
 * The text PostgreSQL prints for a value, computed from the text that was
 * loaded into it, without asking the server. verify compares the source with
 * the target in the target's own output form: the server formats its rows
 * (and hashes them) in C, so only the source side is formatted here. Each
 * function is checked against a real server in test/integration/pg-text.
 */

/** JSON's own number grammar, without an exponent: numeric prints it as written, bar the sign of a zero. */
const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const NON_ZERO = /[1-9]/;
const NUMERIC = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** numeric's limits: digits after the point (NUMERIC_DSCALE_MAX), and before it (weight 32767 in base 10000). */
const MAX_SCALE = 16383;
const MAX_WHOLE_DIGITS = 131072;

/**
 * numeric_out of the number numeric_in reads from `text`: plain decimal, the
 * scale the input wrote (`1.50` stays `1.50`) less its exponent (`1e2` is
 * `100`, `1.5e-7` is `0.00000015`), no sign on zero. null where numeric_in
 * would refuse the text, a value past numeric's limits included.
 */
export function numericText(text: string): string | null {
  if (PLAIN_DECIMAL.test(text)) return text.charCodeAt(0) === 45 && !NON_ZERO.test(text) ? text.slice(1) : text;
  const m = NUMERIC.exec(text);
  if (m === null) return null;
  const [, sign, int = '', frac = '', expText] = m;
  if (int === '' && frac === '') return null;
  const exp = expText === undefined ? 0 : Number(expText);
  const digits = int + frac;
  const point = int.length + exp;
  const scale = Math.max(0, frac.length - exp);
  if (scale > MAX_SCALE) return null;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 48) first++;
  const zero = first === digits.length;
  if (zero) return scale === 0 ? '0' : `0.${'0'.repeat(scale)}`;
  if (point - first > MAX_WHOLE_DIGITS) return null;
  const whole =
    point <= first
      ? '0'
      : point >= digits.length
        ? digits.slice(first) + '0'.repeat(point - digits.length)
        : digits.slice(first, point);
  // The digits after the point are exactly `scale` long: frac.length - exp of them.
  const fraction = scale === 0 ? '' : point < 0 ? '0'.repeat(-point) + digits : digits.slice(point);
  return `${sign === '-' ? '-' : ''}${whole}${scale === 0 ? '' : `.${fraction}`}`;
}

/**
 * A numeric's text without trailing fractional zeros (`1.50` → `1.5`,
 * `2.000` → `2`): its value alone. A numeric(p,s) column prints every value
 * with s decimals, so verify compares numerics by value, on both sides.
 */
export function numericValueText(text: string): string {
  if (!text.includes('.')) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

/**
 * float8out with extra_float_digits = 1 (the default since PostgreSQL 12):
 * the shortest digits that read back to the same double, in fixed notation
 * for decimal exponents -4 to 14 and otherwise as `1.5e-07` / `1e+15` (a sign
 * and at least two exponent digits). JavaScript prints the same shortest
 * digits except where they fall exactly halfway to the next double, which
 * PostgreSQL's Ryu never accepts: it writes one digit more. `shortest` is
 * String(value) when the caller has it already (the converters' output).
 */
export function float8Text(value: number, shortest?: string): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  const a = Math.abs(value);
  if (a === 0) return Object.is(value, -0) ? '-0' : '0';
  if (a >= 1e-4 && a < 1e15) return shortest ?? String(value);
  let exp = value.toExponential();
  // Only above 2^54 can a halfway point have as few digits as a shortest form.
  if (a >= 2 ** 54) {
    for (let digits = mantissaDigits(exp).length + 1; onHalfway(exp, a) && digits <= 17; digits++)
      exp = value.toExponential(digits - 1);
  }
  const e = exp.indexOf('e');
  const n = exp.slice(e + 2);
  return `${exp.slice(0, e)}e${exp[e + 1]}${n.length < 2 ? `0${n}` : n}`;
}

/** The significant digits of toExponential's output, without sign or point (`-1.25e+20` → `125`). */
function mantissaDigits(exponential: string): string {
  const mantissa = exponential.slice(0, exponential.indexOf('e')).replace(/^-/, '');
  const point = mantissa.indexOf('.');
  return point === -1 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
}

/** Whether the decimal `exponential` is exactly halfway between the integer double `a` (>= 2^54) and a neighbour. */
function onHalfway(exponential: string, a: number): boolean {
  const digits = mantissaDigits(exponential);
  const zeros = Number(exponential.slice(exponential.indexOf('e') + 1)) - (digits.length - 1);
  if (zeros < 0) return false;
  const decimal = BigInt(digits) * 10n ** BigInt(zeros);
  const exact = BigInt(a);
  const ulp = 2n ** BigInt(Math.floor(Math.log2(a)) - 52);
  const distance = decimal > exact ? decimal - exact : exact - decimal;
  // Below a power of two the next double down is half an ulp away.
  const powerOfTwo = (exact & (exact - 1n)) === 0n;
  return 2n * distance === ulp || (powerOfTwo && decimal < exact && 4n * distance === ulp);
}

/**
 * jsonb_out of a JSON text jsonb accepts (the converters check it first):
 * object keys sorted by their UTF-8 length, then bytewise, the last of equal
 * keys kept; `, ` and `: ` between items; strings re-escaped as escape_json
 * does (which is what JSON.stringify does to a well-formed string); numbers
 * as numericText.
 *
 * The load prints every JSON value it sends this way, for verify's row
 * digest (src/tables/row-hasher.ts), so the printer copies as little as it
 * can: a text already in jsonb's form (jsonb's own output) is returned as it
 * is, and a member or item already in that form is copied as one slice of
 * the text.
 */
export function jsonbText(text: string): string {
  for (let k = 0; k < MEMO; k++) if (memoText[k] === text) return memoPrint[k] as string;
  const flat = flatText(text);
  if (flat !== undefined) return flat;
  try {
    return new JsonbPrinter(text).top();
  } catch {
    // Not JSON after all: a form no server value has, so it shows as a difference.
    return `\u0000not JSON: ${text}`;
  }
}

/**
 * jsonbText of a text, when it is a flat object or list (flatObjectText,
 * flatListText): such a text is valid JSON with nothing to repair (no NaN, no
 * escape at all), so the converters take this one pass as their check of
 * most JSON values instead of checkJson's (src/tables/converters.ts).
 * undefined for any other text, which checkJson then checks.
 *
 * The print is remembered for the row digest, which asks jsonbText for the
 * same text right after the row is converted (src/tables/row-hasher.ts): each
 * such value is scanned once for both. A pure cache: a text it does not hold
 * is printed as before.
 */
export function flatJsonbText(text: string): string | undefined {
  const flat = flatText(text);
  if (flat !== undefined && text.length <= MEMO_UP_TO) {
    memoText[memoNext] = text;
    memoPrint[memoNext] = flat;
    memoNext = (memoNext + 1) % MEMO;
  }
  return flat;
}

/** How many prints flatJsonbText remembers: more than the JSON columns of a row. */
const MEMO = 8;
/** Longer texts are not kept alive for the digest: printing them again costs less than holding them. */
const MEMO_UP_TO = 1 << 14;
const memoText: (string | undefined)[] = new Array<string | undefined>(MEMO).fill(undefined);
const memoPrint: (string | undefined)[] = new Array<string | undefined>(MEMO).fill(undefined);
let memoNext = 0;

function flatText(s: string): string | undefined {
  return s.charCodeAt(0) === 91 ? flatListText(s) : flatObjectText(s);
}

/**
 * jsonb_out of a list of flatScalarEnd's values written with `, ` between
 * them (`["claude", "gpt4"]`, as `json.dumps` writes a list): the text
 * itself. undefined for any other text.
 */
function flatListText(s: string): string | undefined {
  const n = s.length;
  if (n < 2 || s.charCodeAt(n - 1) !== 93) return undefined;
  if (n === 2) return s;
  for (let i = 1; ;) {
    i = flatScalarEnd(s, i);
    if (i === -1) return undefined;
    if (i === n - 1) return s;
    if (s.charCodeAt(i) !== 44 || s.charCodeAt(i + 1) !== 32) return undefined;
    i += 2;
  }
}

/**
 * Per member of the object flatObjectText reads: where its key starts and
 * ends (the quotes included) and where its value ends.
 */
let flatAt = new Int32Array(3 * 16);
let flatOrder = new Int32Array(16);

/**
 * jsonb_out of an object written as Python's `json.dumps` writes one: `, `
 * between members and `: ` after each key, no other space; keys without
 * escapes or non-ASCII characters; values that are strings without escapes,
 * plain numbers (as numeric prints them), true, false, null, or lists of
 * those. Most JSON in Aragora's files is such an object (metadata, scores),
 * and the load prints every one of them for the row digest, so it gets this
 * one pass with no allocation but the result: the members, sorted into
 * jsonb's key order, copied as they are written. undefined for any other
 * text, which the general printer takes, as it takes an object with two
 * equal keys (jsonb keeps the last).
 */
function flatObjectText(s: string): string | undefined {
  const n = s.length;
  if (n < 2 || s.charCodeAt(0) !== 123 || s.charCodeAt(n - 1) !== 125) return undefined;
  if (n === 2) return s;
  let m = 0;
  for (let i = 1; ;) {
    if (s.charCodeAt(i) !== 34) return undefined;
    const keyStart = i;
    for (let c = s.charCodeAt(++i); c !== 34; c = s.charCodeAt(++i))
      if (c === 92 || c >= 0x80 || c < 0x20 || i >= n) return undefined;
    const keyEnd = ++i;
    if (s.charCodeAt(i) !== 58 || s.charCodeAt(i + 1) !== 32) return undefined;
    i += 2;
    if (s.charCodeAt(i) === 91) {
      // A list of such values (`"tags": ["a", "b"]`), which jsonb prints as written too.
      i++;
      if (s.charCodeAt(i) === 93) i++;
      else
        for (;;) {
          i = flatScalarEnd(s, i);
          if (i === -1) return undefined;
          if (s.charCodeAt(i) === 93) {
            i++;
            break;
          }
          if (s.charCodeAt(i) !== 44 || s.charCodeAt(i + 1) !== 32) return undefined;
          i += 2;
        }
    } else {
      i = flatScalarEnd(s, i);
      if (i === -1) return undefined;
    }
    if (3 * m + 3 > flatAt.length) {
      const grown = new Int32Array(2 * flatAt.length);
      grown.set(flatAt);
      flatAt = grown;
      flatOrder = new Int32Array(grown.length / 3);
    }
    flatAt[3 * m] = keyStart;
    flatAt[3 * m + 1] = keyEnd;
    flatAt[3 * m + 2] = i;
    m++;
    if (i === n - 1) break;
    if (s.charCodeAt(i) !== 44 || s.charCodeAt(i + 1) !== 32) return undefined;
    i += 2;
  }
  // jsonb's order: shorter keys first, then bytewise (ASCII keys: their length and units).
  let sorted = true;
  for (let k = 0; k < m; k++) flatOrder[k] = k;
  for (let k = 1; k < m; k++) {
    const x = flatOrder[k] as number;
    let j = k - 1;
    for (; j >= 0; j--) {
      const cmp = compareFlatKeys(s, flatOrder[j] as number, x);
      if (cmp === 0) return undefined;
      if (cmp < 0) break;
      flatOrder[j + 1] = flatOrder[j] as number;
      sorted = false;
    }
    flatOrder[j + 1] = x;
  }
  if (sorted) return s;
  let out = '{';
  for (let k = 0; k < m; k++) {
    const x = flatOrder[k] as number;
    out += (k === 0 ? '' : ', ') + s.slice(flatAt[3 * x] as number, flatAt[3 * x + 2] as number);
  }
  return `${out}}`;
}

/**
 * Where a value flatObjectText copies as written ends: a string without
 * escapes or control characters (which JSON allows only escaped), a plain
 * number, true, false or null; else -1.
 */
function flatScalarEnd(s: string, from: number): number {
  const c = s.charCodeAt(from);
  if (c === 34) {
    let i = from + 1;
    for (let d = s.charCodeAt(i); d !== 34; d = s.charCodeAt(++i)) if (d === 92 || d < 0x20 || i >= s.length) return -1;
    return i + 1;
  }
  if (c === 116 || c === 102 || c === 110) return literalEnd(s, from);
  return plainDecimalEnd(s, from);
}

/** Where the literal (true, false, null) at `from` ends, checked letter by letter; -1 where it is none. */
function literalEnd(s: string, from: number): number {
  const c = s.charCodeAt(from);
  const word = c === 116 ? 'true' : c === 102 ? 'false' : c === 110 ? 'null' : null;
  return word !== null && s.startsWith(word, from) ? from + word.length : -1;
}

/** jsonb's order of two keys of flatObjectText's object (ASCII, quotes included): length, then bytes. */
function compareFlatKeys(s: string, a: number, b: number): number {
  const a0 = flatAt[3 * a] as number;
  const a1 = flatAt[3 * a + 1] as number;
  const b0 = flatAt[3 * b] as number;
  const b1 = flatAt[3 * b + 1] as number;
  if (a1 - a0 !== b1 - b0) return a1 - a0 - (b1 - b0);
  for (let i = 1; i < a1 - a0 - 1; i++) {
    const d = s.charCodeAt(a0 + i) - s.charCodeAt(b0 + i);
    if (d !== 0) return d;
  }
  return 0;
}

/** Numbers per object member in JsonbPrinter's table: key start and end, value start and end, key's UTF-8 length, tight. */
const MEMBER = 6;

/** What JsonbPrinter's #separator found. */
const LAST = 1;
const TIGHT = 2;

/** Objects with more members than this are sorted by Array.prototype.sort; smaller ones by insertion. */
const INSERTION_SORT_UP_TO = 16;

/**
 * Each method prints the value at the position and returns its text, or null
 * where that text is the value's own, from where it starts to where the
 * position is left: nothing is copied for it until an enclosing value has to
 * be rebuilt (its keys out of jsonb's order, other spacing, a number numeric
 * prints otherwise, an escape).
 */
class JsonbPrinter {
  readonly #s: string;
  #i = 0;
  /** The decoded text of the last string read that had escapes, for object keys. */
  #decoded = '';

  constructor(s: string) {
    this.#s = s;
  }

  top(): string {
    const s = this.#s;
    this.#ws();
    const start = this.#i;
    const printed = this.#value();
    const end = this.#i;
    this.#ws();
    if (this.#i < s.length) throw new Error('text after the value');
    if (printed !== null) return printed;
    return start === 0 && end === s.length ? s : s.slice(start, end);
  }

  #ws(): void {
    const s = this.#s;
    let c = s.charCodeAt(this.#i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++this.#i);
  }

  #value(): string | null {
    const s = this.#s;
    if (this.#i >= s.length) throw new Error('truncated');
    const c = s.charCodeAt(this.#i);
    if (c === 34) return this.#string();
    if (c === 123) return this.#object();
    if (c === 91) return this.#array();
    // Literals print as written.
    if (c === 116 || c === 110 || c === 102) {
      const end = literalEnd(s, this.#i);
      if (end === -1) throw new Error('not a value');
      this.#i = end;
      return null;
    }
    // Most numbers are printed by numeric as written: found so without a copy.
    const plainEnd = plainDecimalEnd(s, this.#i);
    if (plainEnd !== -1) {
      this.#i = plainEnd;
      return null;
    }
    let j = this.#i;
    for (
      let d = s.charCodeAt(j);
      (d >= 48 && d <= 57) || d === 45 || d === 43 || d === 46 || d === 101 || d === 69;
      d = s.charCodeAt(++j)
    );
    if (j === this.#i) throw new Error('not a value');
    const token = s.slice(this.#i, j);
    this.#i = j;
    const printed = numericText(token);
    if (printed === null) return `\u0000bad number ${token}`;
    // numericText returns a number numeric prints as written as the same string.
    return printed === token ? null : printed;
  }

  /** A string token; with escapes, its decoded text is left in #decoded and it is re-escaped as escape_json does. */
  #string(): string | null {
    const s = this.#s;
    const start = this.#i;
    // One scan to the closing quote or the first backslash, whichever comes
    // first: looking for a backslash in the whole rest of the text made a big
    // document of many strings quadratic (2.7 MB of 100k keys took 3.3 s).
    let close = start + 1;
    for (let c = s.charCodeAt(close); c !== 34 && c !== 92; c = s.charCodeAt(++close))
      if (close >= s.length) throw new Error('unterminated string');
    if (s.charCodeAt(close) === 34) {
      // No escapes: the token is printed as written (raw control characters are not valid JSON).
      this.#i = close + 1;
      return null;
    }
    let j = close;
    for (let c = s.charCodeAt(j); c !== 34; c = s.charCodeAt(j)) {
      if (j >= s.length) throw new Error('unterminated string');
      j += c === 92 ? 2 : 1;
    }
    this.#i = j + 1;
    this.#decoded = JSON.parse(s.slice(start, j + 1)) as string;
    return JSON.stringify(this.#decoded);
  }

  /**
   * Past the `,` or closing bracket after an item that ended at `end`:
   * LAST when it was the bracket, plus TIGHT when the spacing is jsonb's
   * (nothing before it, one space after a comma).
   */
  #separator(close: number, end: number): number {
    const s = this.#s;
    this.#ws();
    const c = s.charCodeAt(this.#i);
    const tight = this.#i === end;
    this.#i++;
    if (c === close) return LAST | (tight ? TIGHT : 0);
    if (c !== 44) throw new Error('expected a comma');
    const after = this.#i;
    this.#ws();
    return tight && this.#i === after + 1 && s.charCodeAt(after) === 32 ? TIGHT : 0;
  }

  /**
   * Steps past an opening bracket, and past the closing one too when nothing
   * is between them: then returns the container (null when written `text`
   * itself), else undefined.
   */
  #empty(close: number, text: string): string | null | undefined {
    const open = this.#i++;
    this.#ws();
    if (this.#s.charCodeAt(this.#i) !== close) return undefined;
    this.#i++;
    return this.#i === open + 2 ? null : text;
  }

  #array(): string | null {
    const s = this.#s;
    const open = this.#i;
    const empty = this.#empty(93, '[]');
    if (empty !== undefined) return empty;
    let asWritten = this.#i === open + 1;
    const printed: (string | null)[] = [];
    const bounds: number[] = [];
    for (;;) {
      const start = this.#i;
      const p = this.#value();
      const end = this.#i;
      printed.push(p);
      bounds.push(start, end);
      const sep = this.#separator(93, end);
      asWritten = asWritten && p === null && (sep & TIGHT) !== 0;
      if ((sep & LAST) !== 0) break;
    }
    if (asWritten) return null;
    let out = '[';
    for (let k = 0; k < printed.length; k++)
      out += (k === 0 ? '' : ', ') + (printed[k] ?? s.slice(bounds[2 * k] as number, bounds[2 * k + 1] as number));
    return `${out}]`;
  }

  #object(): string | null {
    const s = this.#s;
    const open = this.#i;
    const empty = this.#empty(125, '{}');
    if (empty !== undefined) return empty;
    let asWritten = this.#i === open + 1;
    const at: number[] = [];
    const values: (string | null)[] = [];
    // The decoded keys, once a key has escapes; null for a key without.
    let decoded: (string | null)[] | null = null;
    for (let m = 0; ; m++) {
      const keyStart = this.#i;
      if (s.charCodeAt(keyStart) !== 34) throw new Error('expected a key');
      const escaped = this.#string() !== null;
      const keyEnd = this.#i;
      if (escaped) (decoded ??= new Array<string | null>(m).fill(null)).push(this.#decoded);
      else if (decoded !== null) decoded.push(null);
      // Before the value is read: a string in it would overwrite #decoded.
      const size = escaped ? utf8Length(this.#decoded) : spanUtf8Length(s, keyStart + 1, keyEnd - 1);
      this.#ws();
      const colon = this.#i++;
      if (s.charCodeAt(colon) !== 58) throw new Error('expected a colon');
      this.#ws();
      const valueStart = this.#i;
      const value = this.#value();
      const valueEnd = this.#i;
      // The member is printed as written: `"key": value`, a key without escapes.
      const tight =
        !escaped && colon === keyEnd && valueStart === colon + 2 && s.charCodeAt(colon + 1) === 32 && value === null;
      at.push(keyStart, keyEnd, valueStart, valueEnd, size, tight ? 1 : 0);
      values.push(value);
      const sep = this.#separator(125, valueEnd);
      asWritten = asWritten && tight && (sep & TIGHT) !== 0;
      if ((sep & LAST) !== 0) break;
    }
    const n = values.length;
    let sorted = true;
    for (let m = 1; m < n && sorted; m++) sorted = compareKeys(s, at, decoded, m - 1, m) < 0;
    if (sorted && asWritten) return null;
    let order: number[] | null = null;
    if (!sorted) {
      order = new Array<number>(n);
      for (let m = 0; m < n; m++) order[m] = m;
      // Stable, so of equal keys the last written stays last, and is the one kept.
      if (n > INSERTION_SORT_UP_TO) order.sort((x, y) => compareKeys(s, at, decoded, x, y) || x - y);
      else
        for (let k = 1; k < n; k++) {
          const m = order[k] as number;
          let j = k - 1;
          for (; j >= 0 && compareKeys(s, at, decoded, order[j] as number, m) > 0; j--)
            order[j + 1] = order[j] as number;
          order[j + 1] = m;
        }
    }
    let out = '{';
    let first = true;
    for (let k = 0; k < n; k++) {
      const m = order === null ? k : (order[k] as number);
      if (order !== null && k + 1 < n && compareKeys(s, at, decoded, m, order[k + 1] as number) === 0) continue;
      const b = m * MEMBER;
      out += first ? '' : ', ';
      first = false;
      if (at[b + 5] === 1) out += s.slice(at[b] as number, at[b + 3] as number);
      else {
        const key = decoded === null ? null : decoded[m];
        const keyText =
          key === null || key === undefined ? s.slice(at[b] as number, at[b + 1] as number) : JSON.stringify(key);
        out += `${keyText}: ${values[m] ?? s.slice(at[b + 2] as number, at[b + 3] as number)}`;
      }
    }
    return `${out}}`;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Where the number at `from` ends when it is one numeric prints as written
 * (PLAIN_DECIMAL, the whole run of a number's characters, not a negative
 * zero), else -1.
 */
function plainDecimalEnd(s: string, from: number): number {
  let i = from;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i++;
  const first = s.charCodeAt(i);
  if (!isDigit(first)) return -1;
  let nonZero = first !== 48;
  i++;
  if (nonZero) while (isDigit(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) === 46) {
    i++;
    if (!isDigit(s.charCodeAt(i))) return -1;
    for (let c = s.charCodeAt(i); isDigit(c); c = s.charCodeAt(++i)) if (c !== 48) nonZero = true;
  }
  // More of a number's characters (an exponent, a digit after a leading zero, a second point): not plain.
  const next = s.charCodeAt(i);
  if (isDigit(next) || next === 45 || next === 43 || next === 46 || next === 101 || next === 69) return -1;
  return negative && !nonZero ? -1 : i;
}

/**
 * jsonb's key order between members `a` and `b` of JsonbPrinter's table:
 * shorter UTF-8 first, then bytewise (code point order). A key without
 * escapes is compared where it is in the text, without being copied.
 */
function compareKeys(
  s: string,
  at: readonly number[],
  decoded: readonly (string | null)[] | null,
  a: number,
  b: number,
): number {
  const sa = at[a * MEMBER + 4] as number;
  const sb = at[b * MEMBER + 4] as number;
  if (sa !== sb) return sa - sb;
  const da = decoded?.[a] ?? null;
  const db = decoded?.[b] ?? null;
  if (da === null && db === null)
    return compareSpans(
      s,
      (at[a * MEMBER] as number) + 1,
      (at[a * MEMBER + 1] as number) - 1,
      s,
      (at[b * MEMBER] as number) + 1,
      (at[b * MEMBER + 1] as number) - 1,
    );
  const ka = da ?? s.slice((at[a * MEMBER] as number) + 1, (at[a * MEMBER + 1] as number) - 1);
  const kb = db ?? s.slice((at[b * MEMBER] as number) + 1, (at[b * MEMBER + 1] as number) - 1);
  return compareSpans(ka, 0, ka.length, kb, 0, kb.length);
}

/**
 * Code point order of `a[a0, a1)` and `b[b0, b1)`, which is UTF-8's byte
 * order. UTF-16 order differs only where a surrogate (a code point above
 * U+FFFF) meets U+E000–U+FFFF.
 */
function compareSpans(a: string, a0: number, a1: number, b: string, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(a0 + i);
    const cb = b.charCodeAt(b0 + i);
    if (ca !== cb)
      return (ca >= 0xd800 && ca <= 0xdfff ? ca + 0x10000 : ca) - (cb >= 0xd800 && cb <= 0xdfff ? cb + 0x10000 : cb);
  }
  return a1 - a0 - (b1 - b0);
}

function utf8Length(s: string): number {
  return spanUtf8Length(s, 0, s.length);
}

/** The UTF-8 length of `s[from, to)`. */
function spanUtf8Length(s: string, from: number, to: number): number {
  let n = to - from;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair: two UTF-16 units, four bytes.
      n += 2;
      i++;
    } else {
      n += 2;
    }
  }
  return n;
}

/**
 * timestamptz_out (DateStyle ISO, TimeZone UTC) of the converters'
 * timestamp text `YYYY-MM-DD HH:MM:SS.ffffff+00`: the fraction without its
 * trailing zeros, and none at all when it is zero. `withZone` false gives
 * timestamp_out, which has no `+00`.
 */
export function timestampText(text: string, withZone: boolean): string {
  const zoned = text.endsWith('+00');
  const zone = zoned ? text.length - 3 : text.length;
  const dot = text.lastIndexOf('.', zone);
  let end = zone;
  if (dot !== -1) {
    while (end > dot + 1 && text.charCodeAt(end - 1) === 48) end--;
    if (end === dot + 1) end = dot;
  }
  // Nothing to take off (the load's digest prints every timestamp): the text itself, not a copy.
  if (end === zone && zoned === withZone) return text;
  return withZone ? `${text.slice(0, end)}+00` : text.slice(0, end);
}
