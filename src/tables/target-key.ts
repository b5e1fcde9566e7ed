import { joinKey } from '../util/keys.js';
import { valueText, type TargetValue } from './value.js';

/**
 * The key of a converted row, as the ledger records it (`batches.loaded_keys`,
 * the stage's `__key`, conflicts): each part the text the target column's
 * input function reads the value from, which is the text COPY's text format
 * sends (a bytea as `\x…`). Rollback finds the row again by casting that text
 * to the column's type (`keyMatch`, src/pipeline/rollback/rollback-plan.ts),
 * which gives the stored value back whatever the type: a NUL byte the
 * converter dropped is not in it, a timestamp keeps its offset, a float its
 * shortest digits.
 */
export function targetKey(values: readonly TargetValue[], rowid?: number | bigint | null): string {
  return joinKey(values.map(targetKeyPart), rowid);
}

/** One part of targetKey: the text the column's input function reads the value from; null for NULL. */
export function targetKeyPart(value: TargetValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (typeof value === 'number' || typeof value === 'bigint') return valueText(value);
  // A key column is never read in slices (compileTable's wholeNeeded).
  return String(value);
}
