/**
 * RESP, the Redis protocol (version 2, which every Redis speaks until a client
 * sends HELLO 3): commands go out as arrays of bulk strings, replies come back
 * as simple strings, errors, integers, bulk strings and arrays. Pure: bytes in,
 * values out, so src/pipeline/check/redis-client.ts only moves bytes.
 */

/** A reply the server sent as an error (`-ERR …`, `-WRONGPASS …`): a value, not a throw, so a caller decides. */
export class RespError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** A simple or bulk string, an integer, a null bulk or array, an error, or an array of these. */
export type RespValue = string | number | null | RespError | readonly RespValue[];

const CRLF = Buffer.from('\r\n');

/** One command as the server reads it: `*<n>\r\n` then each argument as `$<bytes>\r\n<arg>\r\n`. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

/** The server sent something that is not RESP: a TLS port read as plain text, or not Redis at all. */
export class RespProtocolError extends Error {}

/** Longest bulk string or array accepted: the replies check asks for are a few kilobytes. */
const MAX_LENGTH = 64 * 1024 * 1024;

interface Parsed {
  readonly value: RespValue;
  readonly end: number;
}

/**
 * Reads replies from a stream of chunks: `push` each chunk as it arrives and
 * get every reply it completes, in order; a reply cut between chunks waits
 * for the rest.
 */
export class RespParser {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RespValue[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: RespValue[] = [];
    let offset = 0;
    for (;;) {
      const parsed = parseAt(this.#buffer, offset);
      if (parsed === undefined) break;
      out.push(parsed.value);
      offset = parsed.end;
    }
    this.#buffer = this.#buffer.subarray(offset);
    return out;
  }
}

/** The line from `start` up to its CRLF, and where the next starts; undefined when the CRLF has not arrived. */
function lineAt(buf: Buffer, start: number): { text: string; next: number } | undefined {
  const cr = buf.indexOf(CRLF, start);
  if (cr < 0) return undefined;
  return { text: buf.toString('utf8', start, cr), next: cr + 2 };
}

function length(text: string, what: string): number {
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`the ${what} length is not a number`);
  const n = Number(text);
  if (n > MAX_LENGTH) throw new RespProtocolError(`the ${what} is longer than ${MAX_LENGTH} bytes`);
  return n;
}

/** One reply starting at `offset`, or undefined when its bytes have not all arrived. */
function parseAt(buf: Buffer, offset: number): Parsed | undefined {
  if (offset >= buf.length) return undefined;
  const type = String.fromCharCode(buf[offset] as number);
  const line = lineAt(buf, offset + 1);
  if (line === undefined) {
    // Still waiting for the line's end; but a first byte that is no RESP type is wrong already.
    if (!'+-:$*'.includes(type)) throw new RespProtocolError('the reply does not start with a RESP type byte');
    return undefined;
  }
  switch (type) {
    case '+':
      return { value: line.text, end: line.next };
    case '-':
      return { value: new RespError(line.text), end: line.next };
    case ':': {
      if (!/^-?\d+$/.test(line.text)) throw new RespProtocolError('an integer reply is not a number');
      return { value: Number(line.text), end: line.next };
    }
    case '$': {
      const n = length(line.text, 'bulk string');
      if (n < 0) return { value: null, end: line.next };
      if (buf.length < line.next + n + 2) return undefined;
      if (!buf.subarray(line.next + n, line.next + n + 2).equals(CRLF))
        throw new RespProtocolError('a bulk string does not end with CRLF');
      return { value: buf.toString('utf8', line.next, line.next + n), end: line.next + n + 2 };
    }
    case '*': {
      const n = length(line.text, 'array');
      if (n < 0) return { value: null, end: line.next };
      const items: RespValue[] = [];
      let end = line.next;
      for (let i = 0; i < n; i++) {
        const item = parseAt(buf, end);
        if (item === undefined) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new RespProtocolError('the reply does not start with a RESP type byte');
  }
}
