import type { ColumnPolicy, ConverterName } from '../mapping/schema.js';
import { checkJson } from './json-text.js';
import { flatJsonbText } from './pg-text.js';
import { parseTimestamp, type OffsetFn } from './timestamp.js';
import {
  REJECT,
  describeValue,
  isHuge,
  type Converted,
  type IssueSink,
  type RawTextFetcher,
  type SourceValue,
} from './value.js';

/**
 * Per-value converters, one per `convert` name of the mapping format. Each takes
 * the SQLite value and returns the PostgreSQL text form (a double and an
 * integer as a number and a bigint, TargetValue), or REJECT after telling the
 * sink why. The same functions serve `plan` (profiling) and `migrate`, so
 * the plan predicts exactly what the migration does.
 */
export type ValueConverter = (v: SourceValue, rowid: bigint, sink: IssueSink) => Converted;

export interface ConverterContext {
  readonly column: string;
  readonly policy: Required<ColumnPolicy>;
  readonly offsetOf: OffsetFn;
  readonly fetchRaw: RawTextFetcher;
  /** Bounds for an `integer` (int4) target; bigint targets take any SQLite integer. */
  readonly int32: boolean;
  /** A `real` (float4) target: values are rounded to float4, each rounding a precision_loss repair. */
  readonly float4: boolean;
}

export const DEFAULT_POLICY: Required<ColumnPolicy> = {
  nul_byte: 'repair',
  invalid_utf8: 'repair',
  json_nonfinite: 'repair',
  json_nul: 'repair',
};

const REPLACEMENT = '\uFFFD';
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function mismatch(sink: IssueSink, v: SourceValue, expected: string): typeof REJECT {
  return sink.reject('type_mismatch', `${describeValue(v)} where ${expected} was expected`);
}

/** NUL and invalid UTF-8 handling shared by every converter that reads text. */
function cleanText(
  v: string,
  rowid: bigint,
  sink: IssueSink,
  ctx: ConverterContext,
  verbatim: boolean,
): string | typeof REJECT {
  let out = v;
  if (out.includes(REPLACEMENT)) {
    const raw = ctx.fetchRaw(ctx.column, rowid);
    if (raw !== null && !isValidUtf8(raw)) {
      if (verbatim || ctx.policy.invalid_utf8 === 'reject') {
        return sink.reject('invalid_utf8', `text is not valid UTF-8 (bytes ${raw.subarray(0, 32).toString('hex')}…)`);
      }
      sink.repair('invalid_utf8', 'bytes that are not UTF-8 replaced by U+FFFD', raw);
    }
  }
  if (out.includes('\0')) {
    if (verbatim || ctx.policy.nul_byte === 'reject') {
      return sink.reject('nul_byte', 'text holds NUL bytes, which PostgreSQL text cannot store');
    }
    sink.repair('nul_byte', 'NUL bytes replaced by U+FFFD', v);
    out = out.replaceAll('\0', REPLACEMENT);
  }
  return out;
}

function isValidUtf8(raw: Buffer): boolean {
  try {
    utf8Strict.decode(raw);
    return true;
  } catch {
    return false;
  }
}

const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;

export function makeConverter(name: ConverterName, ctx: ConverterContext): ValueConverter {
  switch (name) {
    case 'text':
    case 'verbatim': {
      const verbatim = name === 'verbatim';
      const convert: ValueConverter = (v, rowid, sink) => {
        if (v === null) return null;
        if (typeof v === 'string') return cleanText(v, rowid, sink, ctx, verbatim);
        if (isHuge(v)) {
          if (v.storage !== 'text') return mismatch(sink, v, verbatim ? 'text copied verbatim' : 'text');
          // Text with U+FFFD or NUL is repaired or rejected with its whole original: read whole, like any other.
          for (const slice of v.textSlices())
            if (slice.includes(REPLACEMENT) || slice.includes('\0')) return convert(v.whole(), rowid, sink);
          return { sliced: 'text', source: v };
        }
        if (verbatim) return mismatch(sink, v, 'text copied verbatim');
        if (typeof v === 'bigint' || typeof v === 'number') return String(v);
        return mismatch(sink, v, 'text');
      };
      return convert;
    }
    case 'integer':
      return (v, _rowid, sink) => {
        if (v === null) return null;
        let n: bigint;
        if (typeof v === 'bigint') n = v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
        else return mismatch(sink, v, 'an integer');
        if (ctx.int32 && (n < INT32_MIN || n > INT32_MAX)) return mismatch(sink, v, 'a 32-bit integer');
        return n;
      };
    case 'float':
      return (v, _rowid, sink) => {
        if (v === null) return null;
        let d: number;
        if (typeof v === 'number') d = v;
        else if (typeof v === 'bigint') {
          d = Number(v);
          if (BigInt(d) !== v) return mismatch(sink, v, 'a float that holds it exactly');
        } else return mismatch(sink, v, 'a real number');
        // Printed only where a text path needs it (valueText): binary COPY sends the double.
        if (!ctx.float4) return d;
        // The float4 value's own digits: PostgreSQL reads them back to exactly
        // this float4, where rounding the double's digits again could land on
        // the other side of a halfway point.
        const f = Math.fround(d);
        if (Number.isFinite(d) && !Number.isFinite(f)) return mismatch(sink, v, "a float within real's range");
        if (f !== d && !Number.isNaN(d))
          sink.repair('precision_loss', "rounded to the target's real (float4) column", v);
        return String(f);
      };
    case 'numeric':
      return (v, _rowid, sink) => {
        if (v === null) return null;
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'number' && Number.isFinite(v)) return String(v);
        if (typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())) return v.trim();
        return mismatch(sink, v, 'a number');
      };
    case 'boolean':
      return (v, _rowid, sink) => {
        if (v === null) return null;
        if (v === 0n) return 'f';
        if (v === 1n) return 't';
        return mismatch(sink, v, 'a 0/1 boolean');
      };
    case 'timestamp':
      return (v, rowid, sink) => {
        if (v === null) return null;
        if (typeof v !== 'string') return mismatch(sink, v, 'a timestamp text');
        const parsed = parseTimestamp(v, ctx.offsetOf);
        if (!parsed.ok) {
          const clean = cleanText(v, rowid, sink, ctx, true);
          return clean === REJECT ? REJECT : sink.reject('timestamp_unparseable', parsed.reason);
        }
        return parsed.value;
      };
    case 'json':
      return (v, rowid, sink) => {
        if (v === null) return null;
        let text: string;
        if (typeof v === 'string') {
          const clean = cleanText(v, rowid, sink, ctx, true);
          if (clean === REJECT) return REJECT;
          text = clean;
        } else if (typeof v === 'bigint') {
          return v.toString();
        } else if (typeof v === 'number') {
          text = String(v);
        } else {
          return mismatch(sink, v, 'JSON text');
        }
        // Most JSON is a flat object or list that jsonb's printer reads in one
        // pass, which proves it valid with nothing to repair: the text as it is.
        if (flatJsonbText(text) !== undefined) return text;
        const checked = checkJson(text, {
          nonfinite: ctx.policy.json_nonfinite === 'repair',
          nul: ctx.policy.json_nul === 'repair',
        });
        if (!checked.ok) {
          if (/NaN|Infinity/.test(checked.reason)) return sink.reject('json_nonfinite', checked.reason);
          if (checked.reason.includes('\\u0000')) return sink.reject('json_nul', checked.reason);
          return sink.reject('json_invalid', checked.reason);
        }
        if (checked.nonfinite) sink.repair('json_nonfinite', 'NaN/Infinity replaced by null', v);
        if (checked.nul) sink.repair('json_nul', '\\u0000 escapes removed', v);
        return checked.text;
      };
    case 'blob':
      return (v, rowid, sink) => {
        if (v === null) return null;
        if (Buffer.isBuffer(v)) return v;
        // Stored as text or as a blob, its bytes are the value (as below).
        if (isHuge(v)) return { sliced: 'bytes', source: v };
        // web2py and others store text in BLOB-declared columns; its bytes are the value,
        // read raw when decoding may have replaced some of them.
        if (typeof v === 'string')
          return (v.includes(REPLACEMENT) ? ctx.fetchRaw(ctx.column, rowid) : null) ?? Buffer.from(v, 'utf8');
        return mismatch(sink, v, 'bytes');
      };
  }
}
