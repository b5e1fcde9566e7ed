/**
 * One printable form for a row key, used in findings (`exampleKeys`), reject
 * files, the ledger and verify mismatches, so an operator can grep for it
 * everywhere.
 *
 * - single-column key: the value as text (`claude`, `42`)
 * - composite key: a JSON array of the values as text (`["claude","math"]`)
 * - a key with a NULL part (SQLite allows NULL in a non-INTEGER PRIMARY KEY):
 *   `rowid:<n>`, the only stable handle such a row has
 *
 * This is the label of a source row as SQLite holds it: a blob as `x'…'`, a
 * NUL byte as `\0` (neither jsonb nor text[] can hold U+0000, and the reject
 * and repair records that carry the label are both). A row that loaded is
 * named by `targetKey` (src/tables/target-key.ts) instead.
 */
export function formatKey(values: readonly unknown[], rowid?: number | bigint | null): string {
  return joinKey(values.map(sourceKeyPart), rowid);
}

/** Parts joined as formatKey describes; a NULL part makes the key the row's `rowid:` handle. */
export function joinKey(parts: readonly (string | null)[], rowid?: number | bigint | null): string {
  if (parts.some((p) => p === null)) {
    return rowid === undefined || rowid === null ? 'rowid:?' : `rowid:${String(rowid)}`;
  }
  return parts.length === 1 ? (parts[0] as string) : JSON.stringify(parts);
}

function sourceKeyPart(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return `x'${value.toString('hex')}'`;
  const text = String(value);
  return text.includes('\0') ? text.replaceAll('\0', '\\0') : text;
}
