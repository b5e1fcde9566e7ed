import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral } from '../../../src/util/quote.js';

/** Names a SQLite file or a mapping can hold: quotes, backslashes, spaces, non-ASCII, lone surrogates' replacement, the empty name. */
const NAMES = [
  'plain',
  'MixedCase',
  'with space',
  'dq"inside',
  '""',
  "sq'inside",
  "''",
  'back\\slash',
  '\\',
  'both\'\\"',
  "E'x'",
  'tab\there',
  'new\nline',
  'ünïcødé',
  '数据',
  '😀 emoji',
  '\uFFFD',
  '',
  '$1',
  'a;DROP TABLE x;--',
];

describe('SQL quoting', () => {
  it("quotes identifiers as node-postgres's escapeIdentifier does", () => {
    for (const name of NAMES) expect(quoteIdent(name), name).toBe(pg.escapeIdentifier(name));
  });

  it("writes literals as node-postgres's escapeLiteral does, without its leading space", () => {
    for (const name of NAMES) expect(quoteLiteral(name), name).toBe(pg.escapeLiteral(name).trimStart());
  });

  it('refuses an identifier holding a NUL byte, which PostgreSQL cannot name', () => {
    expect(() => quoteIdent('a\0b')).toThrow(/NUL byte/);
  });
});
