import { describe, expect, it } from 'vitest';
import { encodeCommand, RespError, RespParser, RespProtocolError } from '../../../../src/pipeline/check/resp.js';

describe('encodeCommand', () => {
  it('writes an array of bulk strings, lengths in bytes', () => {
    expect(encodeCommand(['AUTH', 'pässword']).toString()).toBe('*2\r\n$4\r\nAUTH\r\n$9\r\npässword\r\n');
  });
});

describe('RespParser', () => {
  it('reads every reply type', () => {
    const p = new RespParser();
    const out = p.push(
      Buffer.from('+PONG\r\n-WRONGPASS invalid\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$3\r\nkey\r\n:7\r\n*-1\r\n'),
    );
    expect(out).toEqual(['PONG', new RespError('WRONGPASS invalid'), 42, 'hello', null, ['key', 7], null]);
  });

  it('waits for a reply cut between chunks, byte by byte', () => {
    const p = new RespParser();
    const bytes = Buffer.from('*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n+OK\r\n');
    const got: unknown[] = [];
    for (const b of bytes) got.push(...p.push(Buffer.from([b])));
    expect(got).toEqual([['maxmemory-policy', 'noeviction'], 'OK']);
  });

  it('keeps a bulk string holding CRLF whole', () => {
    expect(new RespParser().push(Buffer.from('$12\r\nline1\r\nline2\r\n'))).toEqual(['line1\r\nline2']);
  });

  it('refuses what is not RESP, such as a TLS record read as plain text', () => {
    expect(() => new RespParser().push(Buffer.from([0x16, 0x03, 0x01, 0x00]))).toThrow(RespProtocolError);
    expect(() => new RespParser().push(Buffer.from('$abc\r\n'))).toThrow(RespProtocolError);
    expect(() => new RespParser().push(Buffer.from('$3\r\nabcXY'))).toThrow(RespProtocolError);
  });
});
