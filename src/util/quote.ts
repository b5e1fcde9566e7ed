import { escapeIdentifier, escapeLiteral } from 'pg';

/**
 * PostgreSQL identifier quoting, by node-postgres's own escapeIdentifier (the
 * quoting libpq's PQescapeIdentifier does). Every table and column name that
 * reaches SQL comes from a SQLite file or a mapping, so none is trusted; a NUL
 * byte, which no PostgreSQL identifier can hold, is refused here.
 */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  return escapeIdentifier(name);
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * A string literal for SQL built from mapping data (policy names, column
 * names), by node-postgres's escapeLiteral: right whatever
 * standard_conforming_strings says (a backslash makes it an E'' literal).
 */
export function quoteLiteral(s: string): string {
  return escapeLiteral(s).trimStart();
}
