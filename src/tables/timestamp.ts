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

export type TimestampResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

/** Returns the offset of `timeZone` from UTC, in minutes, at the given UTC instant. */
export type OffsetFn = (utcMillis: number) => number;

export function timeZoneOffsetFn(timeZone: string): OffsetFn {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return () => 0;
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
  return (utcMillis) => {
    const parts: Record<string, number> = {};
    for (const p of fmt.formatToParts(new Date(utcMillis))) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    const asUtc = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
    return Math.round((asUtc - Math.floor(utcMillis / 1000) * 1000) / 60000);
  };
}

/** Throws RangeError for a time zone name Intl does not know. */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function parseTimestamp(text: string, offsetOf: OffsetFn): TimestampResult {
  const m = TIMESTAMP_RE.exec(text.trim());
  if (!m) return { ok: false, reason: `not a timestamp: ${JSON.stringify(text.slice(0, 64))}` };
  const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', frac = '', zone] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  if (frac.length > 6) {
    // PostgreSQL keeps microseconds; rounding nanoseconds away would change the value silently.
    return { ok: false, reason: `more than microsecond precision: ${JSON.stringify(text)}` };
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: `no such date or time: ${JSON.stringify(text)}` };
  }
  const micros = frac.padEnd(6, '0');
  const wallMillis = Date.UTC(year, month - 1, day, hour, minute, second);
  let offsetMinutes: number;
  if (zone === undefined) {
    // Naive: local time of the writing host. Two passes settle DST edges:
    // the offset at the guessed instant, then at the corrected one.
    const first = offsetOf(wallMillis);
    offsetMinutes = offsetOf(wallMillis - first * 60000);
  } else {
    offsetMinutes = parseZone(zone);
  }
  if (offsetMinutes === 0) {
    return { ok: true, value: `${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)}.${micros}+00` };
  }
  const utc = new Date(wallMillis - offsetMinutes * 60000);
  const value =
    `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} ` +
    `${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${micros}+00`;
  return { ok: true, value };
}

function parseZone(zone: string): number {
  if (zone === 'Z' || zone === 'z' || zone === 'UTC') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
