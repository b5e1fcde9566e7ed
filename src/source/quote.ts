/**
 * SQLite identifier quoting: names come from the file and may hold anything
 * (quotes, spaces, keywords). PostgreSQL's own quoting is in src/util/quote.ts;
 * the two agree today, but each side quotes with its own so neither depends on that.
 */
export function quoteSqliteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
