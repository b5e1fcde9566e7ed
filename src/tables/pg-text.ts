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
 */
export function jsonbText(text: string): string {
  try {
    return new JsonbPrinter(text).value();
  } catch {
    // Not JSON after all: a form no server value has, so it shows as a difference.
    return `\u0000not JSON: ${text}`;
  }
}

class JsonbPrinter {
  #s: string;
  #i = 0;
  /** The decoded text of the last string read, for object keys. */
  #decoded = '';

  constructor(s: string) {
    this.#s = s;
  }

  #ws(): void {
    const s = this.#s;
    let c = s.charCodeAt(this.#i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++this.#i);
  }

  value(): string {
    this.#ws();
    const s = this.#s;
    if (this.#i >= s.length) throw new Error('truncated');
    const c = s.charCodeAt(this.#i);
    if (c === 34) return this.#string();
    if (c === 123) return this.#object();
    if (c === 91) return this.#array();
    if (c === 116) return this.#literal('true');
    if (c === 102) return this.#literal('false');
    if (c === 110) return this.#literal('null');
    let j = this.#i;
    for (
      let d = s.charCodeAt(j);
      (d >= 48 && d <= 57) || d === 45 || d === 43 || d === 46 || d === 101 || d === 69;
      d = s.charCodeAt(++j)
    );
    const token = s.slice(this.#i, j);
    this.#i = j;
    return numericText(token) ?? `\u0000bad number ${token}`;
  }

  #literal(word: string): string {
    this.#i += word.length;
    return word;
  }

  /** A string token as jsonb prints it; its decoded text is left in #decoded. */
  #string(): string {
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
      this.#decoded = s.slice(start + 1, close);
      return s.slice(start, close + 1);
    }
    let j = start + 1;
    for (let c = s.charCodeAt(j); c !== 34; c = s.charCodeAt(j)) {
      if (j >= s.length) throw new Error('unterminated string');
      j += c === 92 ? 2 : 1;
    }
    this.#i = j + 1;
    this.#decoded = JSON.parse(s.slice(start, j + 1)) as string;
    return JSON.stringify(this.#decoded);
  }

  /** Steps past an opening bracket; true, and past the closing one too, when nothing is between them. */
  #empty(close: number): boolean {
    this.#i++;
    this.#ws();
    if (this.#s.charCodeAt(this.#i) !== close) return false;
    this.#i++;
    return true;
  }

  #array(): string {
    if (this.#empty(93)) return '[]';
    let out = '[';
    for (;;) {
      out += this.value();
      this.#ws();
      if (this.#s.charCodeAt(this.#i++) === 93) return `${out}]`;
      out += ', ';
    }
  }

  #object(): string {
    if (this.#empty(125)) return '{}';
    const keys: string[] = [];
    const sizes: number[] = [];
    const items: string[] = [];
    for (;;) {
      this.#ws();
      const key = this.#string();
      keys.push(this.#decoded);
      sizes.push(utf8Length(this.#decoded));
      this.#ws();
      this.#i++; // ':'
      items.push(`${key}: ${this.value()}`);
      this.#ws();
      if (this.#s.charCodeAt(this.#i++) === 125) break;
    }
    if (keys.length === 1) return `{${items[0] as string}}`;
    const order = keys.map((_, i) => i);
    // jsonb's order: shorter UTF-8 first, then bytewise. Equal keys stay in
    // input order, so the last of them is the one kept.
    order.sort(
      (a, b) =>
        (sizes[a] as number) - (sizes[b] as number) || compareCodePoints(keys[a] as string, keys[b] as string) || a - b,
    );
    let out = '{';
    let first = true;
    for (let n = 0; n < order.length; n++) {
      const i = order[n] as number;
      const next = order[n + 1];
      if (next !== undefined && keys[next] === keys[i]) continue;
      out += (first ? '' : ', ') + (items[i] as string);
      first = false;
    }
    return `${out}}`;
  }
}

/**
 * Code point order, which is UTF-8's byte order. UTF-16 order differs only
 * where a surrogate (a code point above U+FFFF) meets U+E000–U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb)
      return (ca >= 0xd800 && ca <= 0xdfff ? ca + 0x10000 : ca) - (cb >= 0xd800 && cb <= 0xdfff ? cb + 0x10000 : cb);
  }
  return a.length - b.length;
}

function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
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
  const zone = text.endsWith('+00') ? text.length - 3 : text.length;
  const dot = text.lastIndexOf('.', zone);
  let end = zone;
  if (dot !== -1) {
    while (end > dot + 1 && text.charCodeAt(end - 1) === 48) end--;
    if (end === dot + 1) end = dot;
  }
  return withZone ? `${text.slice(0, end)}+00` : text.slice(0, end);
}
