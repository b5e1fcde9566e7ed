/**
 * Rows sent to the server in one statement as arrays: `$1` their indexes (into
 * the caller's page), then one text array per column, each value the text its
 * column's input function reads (`targetKeyPart`, src/tables/target-key.ts).
 * The FROM item `unnest($1::int[], $2::text[], …) AS u(i, c0, c1, …)` gives one
 * row per index, its values to be cast to their columns' types; the answer
 * names rows by `u.i`.
 */
export function unnestRows(columns: number, prefix = 'c'): string {
  const params = ['$1::int[]', ...Array.from({ length: columns }, (_, j) => `$${j + 2}::text[]`)];
  const names = ['i', ...Array.from({ length: columns }, (_, j) => `${prefix}${j}`)];
  return `unnest(${params.join(', ')}) AS u(${names.join(', ')})`;
}
