import { hash } from 'node:crypto';
import {
  canonical,
  canonicalForHash,
  rowHash,
  STRING_CANON,
  type CanonicalForm,
  type Printed,
  type StringCanon,
} from './canonical.js';
import { isSliced, valueText, type TargetValue } from './value.js';

/**
 * Strings longer than this, bytea longer than this, and huge values take
 * rowHash's path, which hashes them a slice at a time (src/tables/canonical.ts);
 * every other row is hashed as one text built here.
 */
const WHOLE_UP_TO = 1 << 15;

/**
 * rowHash over the canonical texts of a row's compared columns, with each
 * column's printer chosen once instead of per value. The row's text is
 * concatenated, a rope the hash flattens once: measured 4 to 7% cheaper per
 * row than joining an array of its pieces (npm run bench:rows). The load hashes
 * this way every row of a table in the text form (src/pipeline/shared/digest-plan.ts;
 * a table in the binary form is hashed over the bytes COPY sent,
 * src/target/binary-copy.ts); the bytes hashed are rowHash's, which the server
 * reproduces (rowHashExpr).
 */
export class RowHasher {
  readonly #idx: readonly number[];
  readonly #forms: readonly CanonicalForm[];
  readonly #print: readonly StringCanon[];
  readonly #printed: Printed[];

  /** `idx[j]`: where compared column j is in the converted row, or -1 for a checked column; `forms[j]`: its form. */
  constructor(idx: readonly number[], forms: readonly CanonicalForm[]) {
    this.#idx = idx;
    this.#forms = forms;
    // A checked column prints `t` whatever it holds: hash() settles it before any printer.
    this.#print = forms.map((f) => (f === 'check' ? STRING_CANON.text : STRING_CANON[f]));
    this.#printed = new Array<Printed>(idx.length).fill(null);
  }

  /** The row's hash (rowHash's 16 hex characters). */
  hash(values: readonly TargetValue[]): string {
    const idx = this.#idx;
    let row = '';
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j] as number;
      const form = this.#forms[j] as CanonicalForm;
      const v = i < 0 ? null : values[i];
      let text: string | null;
      if (form === 'check') text = 't';
      else if (v === null || v === undefined) text = null;
      else if (typeof v === 'string') {
        if (v.length > WHOLE_UP_TO) return this.#sliced(values);
        text = (this.#print[j] as StringCanon)(v);
      } else if (typeof v === 'number' || typeof v === 'bigint') text = (this.#print[j] as StringCanon)(valueText(v));
      else if (isSliced(v) || v.length > WHOLE_UP_TO) return this.#sliced(values);
      else text = canonical(v, form);
      row += j === 0 ? (text === null ? 'n' : 'v') : text === null ? '\u0001n' : '\u0001v';
      if (text !== null) row += text;
    }
    return hash('sha256', row, 'hex').slice(0, 16);
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
