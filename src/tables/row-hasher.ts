import { hash } from 'node:crypto';
import { canonical, canonicalForHash, rowHash, type CanonicalForm, type Printed } from './canonical.js';
import { float8Text, jsonbText, timestampText } from './pg-text.js';
import { isSliced, type TargetValue } from './value.js';

/**
 * Strings longer than this, bytea longer than this, and huge values take
 * rowHash's path, which hashes them a slice at a time (src/tables/canonical.ts);
 * every other row is hashed as one text built here.
 */
const WHOLE_UP_TO = 1 << 15;

/**
 * A double's text that float8Text returns as it is: plain digits between
 * 0.001 and 10^14 in magnitude, well inside the range [10^-4, 10^15) it
 * prints without an exponent, so no rounding of the digits can cross it.
 * Checked without parsing the number (three floats a row on the benchmark).
 */
const PLAIN_FLOAT = /^-?(?:[1-9]\d{0,13}(?:\.\d+)?|0\.\d{0,2}[1-9]\d*)$/;

/** A column's canonical text of a converted value that is a string (canonical() for that form). */
type StringPrinter = (v: string) => string;

function stringPrinter(form: CanonicalForm): StringPrinter {
  switch (form) {
    case 'text':
    case 'bytea':
      return (v) => v;
    case 'jsonb':
      return jsonbText;
    case 'float8':
      return (v) => (PLAIN_FLOAT.test(v) ? v : float8Text(Number(v), v));
    case 'timestamptz':
      return (v) => timestampText(v, true);
    case 'timestamp':
      return (v) => timestampText(v, false);
    default:
      return (v) => canonical(v, form) as string;
  }
}

/**
 * rowHash over the canonical texts of a row's compared columns, with each
 * column's printer chosen once instead of per value, and the row's text
 * built by one join instead of a concatenation per column. The load hashes
 * every row it sends this way (src/pipeline/shared/digest-plan.ts), a quarter
 * to a third of a conversion worker's time on the benchmark's rows
 * (docs/performance.md); the bytes hashed are rowHash's, which the server
 * reproduces (rowHashExpr).
 */
export class RowHasher {
  readonly #idx: readonly number[];
  readonly #forms: readonly CanonicalForm[];
  readonly #print: readonly StringPrinter[];
  /** `v` or `n` (after U+0001 from the second column on), then the canonical text or ''. */
  readonly #parts: string[];
  readonly #printed: Printed[];

  /** `idx[j]`: where compared column j is in the converted row, or -1 for a checked column; `forms[j]`: its form. */
  constructor(idx: readonly number[], forms: readonly CanonicalForm[]) {
    this.#idx = idx;
    this.#forms = forms;
    this.#print = forms.map(stringPrinter);
    this.#parts = new Array<string>(2 * idx.length).fill('');
    this.#printed = new Array<Printed>(idx.length).fill(null);
  }

  /** The row's hash (rowHash's 16 hex characters). */
  hash(values: readonly TargetValue[]): string {
    const idx = this.#idx;
    const parts = this.#parts;
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j] as number;
      const form = this.#forms[j] as CanonicalForm;
      const v = i < 0 ? null : values[i];
      let text: string | null;
      if (form === 'check') text = 't';
      else if (v === null || v === undefined) text = null;
      else if (typeof v === 'string') {
        if (v.length > WHOLE_UP_TO) return this.#sliced(values);
        text = (this.#print[j] as StringPrinter)(v);
      } else if (isSliced(v) || v.length > WHOLE_UP_TO) return this.#sliced(values);
      else text = canonical(v, form);
      parts[2 * j] = j === 0 ? (text === null ? 'n' : 'v') : text === null ? '\u0001n' : '\u0001v';
      parts[2 * j + 1] = text ?? '';
    }
    return hash('sha256', parts.join(''), 'hex').slice(0, 16);
  }

  /** A row with a big value: rowHash, which reads and hashes it a slice at a time. */
  #sliced(values: readonly TargetValue[]): string {
    for (let j = 0; j < this.#idx.length; j++) {
      const i = this.#idx[j] as number;
      this.#printed[j] = canonicalForHash(i < 0 ? null : values[i], this.#forms[j] as CanonicalForm);
    }
    return rowHash(this.#printed);
  }
}
