import { describe, expect, it } from 'vitest';
import { parseTimestamp, timeZoneOffsetFn } from '../../../src/tables/timestamp.js';

const utc = timeZoneOffsetFn('UTC');

describe('parseTimestamp', () => {
  it('reads both Aragora formats into one canonical UTC form', () => {
    expect(parseTimestamp('2026-01-15T10:23:45.123456', utc)).toEqual({
      ok: true,
      value: '2026-01-15 10:23:45.123456+00',
    });
    expect(parseTimestamp('2026-01-15 10:23:45', utc)).toEqual({ ok: true, value: '2026-01-15 10:23:45.000000+00' });
    expect(parseTimestamp('2026-01-15T10:23:45', utc)).toEqual({ ok: true, value: '2026-01-15 10:23:45.000000+00' });
  });

  it('keeps microseconds exactly and pads shorter fractions', () => {
    expect(parseTimestamp('2026-01-15T10:23:45.5', utc)).toEqual({ ok: true, value: '2026-01-15 10:23:45.500000+00' });
    expect(parseTimestamp('2026-01-15T10:23:45.000001', utc)).toEqual({
      ok: true,
      value: '2026-01-15 10:23:45.000001+00',
    });
  });

  it('applies the source time zone to naive values, DST included', () => {
    const berlin = timeZoneOffsetFn('Europe/Berlin');
    expect(parseTimestamp('2026-01-15T10:00:00', berlin)).toEqual({ ok: true, value: '2026-01-15 09:00:00.000000+00' });
    expect(parseTimestamp('2026-07-15T10:00:00.25', berlin)).toEqual({
      ok: true,
      value: '2026-07-15 08:00:00.250000+00',
    });
    const ny = timeZoneOffsetFn('America/New_York');
    expect(parseTimestamp('2026-03-31 23:30:00', ny)).toEqual({ ok: true, value: '2026-04-01 03:30:00.000000+00' });
  });

  it('reads a skipped wall time with the offset before the skip and a repeated one as its first occurrence, as Python and PostgreSQL do', () => {
    const ny = timeZoneOffsetFn('America/New_York');
    const berlin = timeZoneOffsetFn('Europe/Berlin');
    const value = (text: string, zone: typeof ny): string | null => {
      const r = parseTimestamp(text, zone);
      return r.ok ? r.value : null;
    };
    // Skipped: zoneinfo (fold=0) and '2024-03-10 02:30'::timestamp AT TIME ZONE 'America/New_York' give 07:30 UTC.
    expect(value('2024-03-10 02:30:00', ny)).toBe('2024-03-10 07:30:00.000000+00');
    expect(value('2024-03-31 02:30:00', berlin)).toBe('2024-03-31 01:30:00.000000+00');
    // Either side of the skip, as before.
    expect(value('2024-03-10 01:59:59', ny)).toBe('2024-03-10 06:59:59.000000+00');
    expect(value('2024-03-10 03:00:00', ny)).toBe('2024-03-10 07:00:00.000000+00');
    // Repeated: zoneinfo's fold=0, the first 01:30 (EDT).
    expect(value('2024-11-03 01:30:00', ny)).toBe('2024-11-03 05:30:00.000000+00');
    expect(value('2024-10-27 02:30:00', berlin)).toBe('2024-10-27 00:30:00.000000+00');
  });

  it('honours an explicit offset whatever the source time zone', () => {
    const berlin = timeZoneOffsetFn('Europe/Berlin');
    expect(parseTimestamp('2026-01-15T10:00:00+05:30', berlin)).toEqual({
      ok: true,
      value: '2026-01-15 04:30:00.000000+00',
    });
    expect(parseTimestamp('2026-01-15T10:00:00Z', berlin)).toEqual({
      ok: true,
      value: '2026-01-15 10:00:00.000000+00',
    });
  });

  it('takes a bare date as midnight', () => {
    expect(parseTimestamp('2026-02-28', utc)).toEqual({ ok: true, value: '2026-02-28 00:00:00.000000+00' });
  });

  it('rejects what is not a timestamp, with a reason', () => {
    for (const bad of [
      'yesterday',
      '',
      '2026-02-30 10:00:00',
      '2026-13-01',
      '2026-01-15 25:00:00',
      '2026-01-15T10:23:45.1234567',
    ]) {
      const r = parseTimestamp(bad, utc);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  it('reads the common shapes the same way as any other spelling of them', () => {
    // The usual shapes take a fast path; a leading space sends the same text down the general one.
    const ny = timeZoneOffsetFn('America/New_York');
    let seed = 3;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const p2 = (n: number): string => String(n).padStart(2, '0');
    for (let i = 0; i < 3000; i++) {
      const year = String([1, 99, 1900, 2000, 2024, 2025, 2100, 9999][next(8)]).padStart(4, '0');
      const text = `${year}-${p2(next(14))}-${p2(next(33))}${next(2) ? 'T' : ' '}${p2(next(26))}:${p2(next(61))}:${p2(next(61))}${next(2) ? '' : `.${'123456789'.slice(0, next(8))}`}`;
      for (const zone of [utc, ny]) {
        const fast = parseTimestamp(text, zone);
        const general = parseTimestamp(` ${text}`, zone);
        expect(fast.ok ? fast.value : 'refused', text).toBe(general.ok ? general.value : 'refused');
      }
    }
  });

  it('keeps years below 100 as written, in any source time zone', () => {
    const berlin = timeZoneOffsetFn('Europe/Berlin');
    expect(parseTimestamp('0050-06-01T12:00:00', utc)).toEqual({ ok: true, value: '0050-06-01 12:00:00.000000+00' });
    const inBerlin = parseTimestamp('0050-06-01T12:00:00', berlin);
    expect(inBerlin.ok && inBerlin.value.slice(0, 11)).toBe('0050-06-01 ');
  });
});
