/**
 * One printable form for a row key, used in findings (`exampleKeys`), reject
 * files, the ledger and verify mismatches, so an operator can grep for it
 * everywhere.
 *
 * - single-column key: the value as text (`claude`, `42`)
 * - composite key: a JSON array of the values as text (`["claude","math"]`)
 * - a key with a NULL part (SQLite allows NULL in a non-INTEGER PRIMARY KEY):
 *   `rowid:<n>`, the only stable handle such a row has
 */
export function formatKey(values: readonly unknown[], rowid?: number | bigint | null): string {
  if (values.some((v) => v === null || v === undefined)) {
    return rowid === undefined || rowid === null ? 'rowid:?' : `rowid:${String(rowid)}`;
  }
  const parts = values.map(keyPart);
  return parts.length === 1 ? (parts[0] as string) : JSON.stringify(parts);
}

function keyPart(value: unknown): string {
  if (Buffer.isBuffer(value)) return `x'${value.toString('hex')}'`;
  return String(value);
}
