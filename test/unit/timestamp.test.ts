import { describe, expect, it } from 'vitest';
import { parseTimestamp, timeZoneOffsetFn } from '../../src/tables/timestamp.js';

const utc = timeZoneOffsetFn('UTC');

describe('parseTimestamp', () => {
  it('reads both Aragora formats into one canonical UTC form', () => {
    expect(parseTimestamp('2026-01-15T10:23:45.123456', utc)).toEqual({ ok: true, value: '2026-01-15 10:23:45.123456+00' });
    expect(parseTimestamp('2026-01-15 10:23:45', utc)).toEqual({ ok: true, value: '2026-01-15 10:23:45.000000+00' });
    expect(parseTimestamp('2026-01-15T10:23:45', utc)).toEqual({ ok: true, value: '2026-01-15 10:23:45.000000+00' });
  });

  it('keeps microseconds exactly and pads shorter fractions', () => {
    expect(parseTimestamp('2026-01-15T10:23:45.5', utc)).toEqual({ ok: true, value: '2026-01-15 10:23:45.500000+00' });
    expect(parseTimestamp('2026-01-15T10:23:45.000001', utc)).toEqual({ ok: true, value: '2026-01-15 10:23:45.000001+00' });
  });

  it('applies the source time zone to naive values, DST included', () => {
    const berlin = timeZoneOffsetFn('Europe/Berlin');
    expect(parseTimestamp('2026-01-15T10:00:00', berlin)).toEqual({ ok: true, value: '2026-01-15 09:00:00.000000+00' });
    expect(parseTimestamp('2026-07-15T10:00:00.25', berlin)).toEqual({ ok: true, value: '2026-07-15 08:00:00.250000+00' });
    const ny = timeZoneOffsetFn('America/New_York');
    expect(parseTimestamp('2026-03-31 23:30:00', ny)).toEqual({ ok: true, value: '2026-04-01 03:30:00.000000+00' });
  });

  it('honours an explicit offset whatever the source time zone', () => {
    const berlin = timeZoneOffsetFn('Europe/Berlin');
    expect(parseTimestamp('2026-01-15T10:00:00+05:30', berlin)).toEqual({ ok: true, value: '2026-01-15 04:30:00.000000+00' });
    expect(parseTimestamp('2026-01-15T10:00:00Z', berlin)).toEqual({ ok: true, value: '2026-01-15 10:00:00.000000+00' });
  });

  it('takes a bare date as midnight', () => {
    expect(parseTimestamp('2026-02-28', utc)).toEqual({ ok: true, value: '2026-02-28 00:00:00.000000+00' });
  });

  it('rejects what is not a timestamp, with a reason', () => {
    for (const bad of ['yesterday', '', '2026-02-30 10:00:00', '2026-13-01', '2026-01-15 25:00:00', '2026-01-15T10:23:45.1234567']) {
      const r = parseTimestamp(bad, utc);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });
});
