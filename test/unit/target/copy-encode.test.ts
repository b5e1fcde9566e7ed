import { describe, expect, it } from 'vitest';
import { CopyBuffer, encodeCopyRow } from '../../../src/target/copy-encode.js';

describe('COPY text encoding', () => {
  it('separates columns by tab, ends rows with newline, writes NULL as \\N', () => {
    expect(encodeCopyRow(['a', null, ''])).toBe('a\t\\N\t\n');
  });

  it('escapes backslash, tab, newline and carriage return, and nothing else', () => {
    expect(encodeCopyRow(['a\\b\tc\nd\re', 'ünï €'])).toBe('a\\\\b\\tc\\nd\\re\tünï €\n');
  });

  it('writes bytea as escaped hex and appends extra columns', () => {
    const b = new CopyBuffer();
    b.writeRow([Buffer.from([0, 255])], '42', 'k\tey');
    expect(b.bytes().toString('utf8')).toBe('\\\\x00ff\t42\tk\\tey\n');
  });

  it('keeps every row across chunk boundaries', () => {
    const b = new CopyBuffer();
    const long = 'x'.repeat(5000);
    for (let i = 0; i < 200; i++) b.writeRow([String(i), long]);
    const lines = b.bytes().toString('utf8').split('\n');
    expect(lines).toHaveLength(201);
    expect(lines[199]).toBe(`199\t${long}`);
  });

  it('writes into a buffer handed back when it is large enough, and allocates when it is not', () => {
    const old = Buffer.alloc(4096, 0x7a);
    const reused = new CopyBuffer(2048, old);
    reused.writeRow(['a', null]);
    expect(reused.bytes().buffer).toBe(old.buffer);
    expect(reused.bytes().toString('utf8')).toBe('a\t\\N\n');

    const small = Buffer.alloc(1024, 0x7a);
    const fresh = new CopyBuffer(2048, small);
    fresh.writeRow(['b']);
    expect(fresh.bytes().buffer).not.toBe(small.buffer);
    expect(fresh.bytes().toString('utf8')).toBe('b\n');
    expect(small.every((b) => b === 0x7a)).toBe(true);
  });
});
