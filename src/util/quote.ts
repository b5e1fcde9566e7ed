/*
 * The quoting of node-postgres's escapeIdentifier and escapeLiteral, written
 * here rather than imported: this module is loaded by every conversion and
 * verification worker, and importing `pg` for two functions cost each worker
 * about 40 ms of start-up before its first row (docs/performance.md).
 * test/unit/util/quote.test.ts holds both to pg's on every kind of name.
 */

/**
 * PostgreSQL identifier quoting, as libpq's PQescapeIdentifier does it: in
 * double quotes, each double quote doubled. Every table and column name that
 * reaches SQL comes from a SQLite file or a mapping, so none is trusted; a NUL
 * byte, which no PostgreSQL identifier can hold, is refused here.
 */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * A string literal for SQL built from mapping data (policy names, column
 * names), as node-postgres's escapeLiteral writes it: right whatever
 * standard_conforming_strings says (quotes and backslashes doubled, and a
 * backslash makes it an E'' literal).
 */
export function quoteLiteral(s: string): string {
  const body = s.replaceAll("'", "''").replaceAll('\\', '\\\\');
  return s.includes('\\') ? `E'${body}'` : `'${body}'`;
}

/**
 * `s` as a dollar-quoted literal, taken verbatim by the server (no escaping to
 * get wrong), with a tag the text neither holds nor ends with the start of
 * (`x$am` would close at its own `$am` and the tag's `$`); null for a text a
 * query string cannot carry (a NUL byte ends it).
 */
export function dollarQuoted(s: string): string | null {
  if (s.includes('\0')) return null;
  let tag = '$am$';
  for (let n = 1; s.includes(tag) || s.endsWith(tag.slice(0, -1)); n++) tag = `$am${n}$`;
  return `${tag}${s}${tag}`;
}
