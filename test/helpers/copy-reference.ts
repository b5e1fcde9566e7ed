import { valueText, type TargetValue } from '../../src/tables/value.js';

/**
 * The plainest COPY text encoder, to hold src/target/copy-encode.ts to: each
 * character escaped one at a time, the row joined, then UTF-8 (a lone
 * surrogate as U+FFFD), bytea as `\\x` and its whole hex.
 */
export function referenceRow(values: readonly TargetValue[], extra: readonly string[] = []): Buffer {
  const escape = (s: string): string =>
    s
      .split('')
      .map((ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch))
      .join('');
  const cols = values.map((v) =>
    v === null || v === undefined
      ? '\\N'
      : typeof v === 'string'
        ? escape(v)
        : typeof v === 'number' || typeof v === 'bigint'
          ? valueText(v)
          : `\\\\x${(v as Buffer).toString('hex')}`,
  );
  return Buffer.from(`${[...cols, ...extra.map(escape)].join('\t')}\n`, 'utf8');
}
