/**
 * Aragora writes timestamps as TEXT in two shapes, often in one column
 * (reference §5.1): `datetime.now().isoformat()` (naive local time, optional
 * microseconds, `T` separator) and SQLite's CURRENT_TIMESTAMP (UTC, space
 * separator, no fraction). Both become one canonical UTC text form that
 * PostgreSQL reads into timestamptz whatever the session TimeZone, and that
 * verify compares byte for byte: `YYYY-MM-DD HH:MM:SS.ffffff+00`.
 */

const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

export type TimestampResult =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

/** Returns the offset of `timeZone` from UTC, in minutes, at the given UTC instant. */
export type OffsetFn = (utcMillis: number) => number;

/** UTC's offset, which is 0 at every instant: parseTimestamp then needs no instant to ask it about. */
const UTC_OFFSET: OffsetFn = () => 0;

export function timeZoneOffsetFn(timeZone: string): OffsetFn {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return UTC_OFFSET;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (instant) => {
    const parts: Record<string, number> = {};
    for (const p of fmt.formatToParts(new Date(instant))) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    const asUtc = utcMillis({
      year: parts.year ?? 0,
      month: parts.month ?? 1,
      day: parts.day ?? 1,
      hour: parts.hour ?? 0,
      minute: parts.minute ?? 0,
      second: parts.second ?? 0,
    });
    return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60000);
  };
}

const DAY_MS = 86_400_000;

/** The offset, in minutes, of a local wall time (its fields read as if UTC, in ms): see parseTimestamp. */
function wallOffset(wallMillis: number, offsetOf: OffsetFn): number {
  const before = offsetOf(wallMillis - DAY_MS);
  const after = offsetOf(wallMillis + DAY_MS);
  if (before === after) return before;
  const held = [before, after].filter((o) => offsetOf(wallMillis - o * 60000) === o);
  return held.length === 0 ? before : Math.max(...held);
}

/** Throws RangeError for a time zone name Intl does not know. */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

interface Fields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Six digits. */
  readonly micros: string;
  readonly zone: string | undefined;
  /** `YYYY-MM-DD HH:MM:SS` as written, when it was written so. */
  readonly written: string | null;
}

export function parseTimestamp(text: string, offsetOf: OffsetFn): TimestampResult {
  const f = isoNaiveFields(text) ?? generalFields(text);
  if ('ok' in f) return f;
  let offsetMinutes: number;
  if (f.zone === undefined) {
    // Naive: local time of the writing host, read as Python's zoneinfo reads
    // it (fold=0; the app wrote it with datetime.now()). Away from a clock
    // change, the offset a day before and a day after agree. Near one, an
    // offset holds where the instant it gives shows that offset again: a
    // wall time both hold (clocks set back) is its first occurrence, the
    // larger offset; a wall time neither holds (skipped) takes the offset
    // before the change, as PostgreSQL's AT TIME ZONE also does. Two passes
    // from the wall time, as before, read a skipped 02:30 in New York an hour
    // early, and a repeated one east of UTC as its second occurrence.
    offsetMinutes = offsetOf === UTC_OFFSET ? 0 : wallOffset(utcMillis(f), offsetOf);
  } else {
    offsetMinutes = parseZone(f.zone);
  }
  if (offsetMinutes === 0) {
    if (f.written !== null) return { ok: true, value: `${f.written}.${f.micros}+00` };
    return {
      ok: true,
      value: `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}.${f.micros}+00`,
    };
  }
  const utc = new Date(utcMillis(f) - offsetMinutes * 60000);
  const value =
    `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} `
    + `${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${f.micros}+00`;
  return { ok: true, value };
}

/** Date.UTC, except that years 0–99 stay themselves (Date.UTC reads them as 1900–1999). */
function utcMillis(f: Pick<Fields, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'>): number {
  const t = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return f.year < 100 ? new Date(t).setUTCFullYear(f.year) : t;
}

function generalFields(text: string): Fields | TimestampResult {
  const m = TIMESTAMP_RE.exec(text.trim());
  if (!m) return { ok: false, reason: `not a timestamp: ${JSON.stringify(text.slice(0, 64))}` };
  const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', frac = '', zone] = m;
  if (frac.length > 6) {
    // PostgreSQL keeps microseconds; rounding nanoseconds away would change the value silently.
    return { ok: false, reason: `more than microsecond precision: ${JSON.stringify(text)}` };
  }
  const f = {
    year: Number(ys),
    month: Number(mos),
    day: Number(ds),
    hour: Number(hs),
    minute: Number(mis),
    second: Number(ss),
    micros: frac.padEnd(6, '0'),
    zone,
    written: null,
  };
  return validDateTime(f) ? f : { ok: false, reason: `no such date or time: ${JSON.stringify(text)}` };
}

/** Two ASCII digits at i, or NaN. */
function two(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48;
  const b = text.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * The shape Aragora writes nearly always, `YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}]`
 * with no zone, read without the regular expression: migrate and verify
 * parse millions of them. null for anything else, which generalFields then
 * reads (and explains when it is no timestamp).
 */
function isoNaiveFields(text: string): Fields | null {
  const n = text.length;
  if (n !== 19 && (n < 21 || n > 26)) return null;
  const sep = text.charCodeAt(10);
  if (
    text.charCodeAt(4) !== 45
    || text.charCodeAt(7) !== 45
    || (sep !== 84 && sep !== 32)
    || text.charCodeAt(13) !== 58
    || text.charCodeAt(16) !== 58
  )
    return null;
  if (n > 19 && text.charCodeAt(19) !== 46) return null;
  for (let i = 20; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  // A non-digit makes a field NaN, which fails validDateTime.
  const f: Fields = {
    year: two(text, 0) * 100 + two(text, 2),
    month: two(text, 5),
    day: two(text, 8),
    hour: two(text, 11),
    minute: two(text, 14),
    second: two(text, 17),
    micros: n === 19 ? '000000' : n === 26 ? text.slice(20) : text.slice(20).padEnd(6, '0'),
    zone: undefined,
    written: sep === 32 ? text.slice(0, 19) : `${text.slice(0, 10)} ${text.slice(11, 19)}`,
  };
  return validDateTime(f) ? f : null;
}

function parseZone(zone: string): number {
  if (zone === 'Z' || zone === 'z' || zone === 'UTC') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

function validDateTime(f: Fields): boolean {
  return (
    f.year >= 1
    && f.month >= 1
    && f.month <= 12
    && f.day >= 1
    && f.day <= daysInMonth(f.year, f.month)
    && f.hour <= 23
    && f.minute <= 59
    && f.second <= 59
  );
}

/** Proleptic Gregorian, as Date.UTC and PostgreSQL count. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
