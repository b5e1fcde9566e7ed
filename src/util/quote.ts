/**
 * PostgreSQL identifier quoting. Every table and column name that reaches SQL
 * comes from a SQLite file or a mapping, so none is trusted.
 */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** A string literal for SQL built from mapping data (policy names, column names), standard_conforming_strings on. */
export function quoteLiteral(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
