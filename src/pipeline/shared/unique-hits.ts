import type pg from 'pg';
import type { TableSpec } from '../../mapping/schema.js';
import type { TargetTableState, TargetUnique } from '../../target/target-state.js';
import { unnestRows } from '../../target/unnest-rows.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import type { ConvertedPage } from '../plan/profile.js';
import { constraintQuery, constraintText } from './check-breaks.js';
import { targetName } from '../../mapping/target-name.js';

/** For each unique index of the target a page meets, by name: the rows (indexes into the page) that meet it. */
export type UniqueHits = (page: ConvertedPage, rows: readonly number[]) => Promise<Map<string, number[]>>;

/**
 * The unique indexes of an existing target table other than the ones the
 * load settles itself, asked of converted rows before any is written: a row
 * whose values there another row of the target holds under another key. The
 * load settles a row whose key the target holds by the table's conflict
 * policy (src/pipeline/migrate/load-table.ts) and gives a surrogate id that
 * collides a new one, so an index over exactly the key's columns, or over the
 * surrogate alone, is left out; a row meeting its own key's row is the same
 * row (under `keep-both` the incoming row is inserted anew, so any match
 * counts). Left to the load, such a row stopped the run at its batch
 * (SQLSTATE 23505, TARGET_CONSTRAINT) after the tables before it. NULLs never
 * meet, as in the index. Undefined when no such index can be judged from the
 * columns the run writes, or the table holds no row.
 */
export function uniqueHits(
  client: pg.Client,
  schema: string,
  spec: TableSpec,
  state: TargetTableState,
  targetColumns: readonly string[],
): UniqueHits | undefined {
  if (state.rows === 0) return undefined;
  const key = spec.key.map((k) => targetName(spec, k));
  const settled = [key, ...(spec.surrogateKey === undefined ? [] : [[targetName(spec, spec.surrogateKey)]])];
  const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && a.every((x) => b.includes(x));
  const judged = state.uniques.filter(
    (u) => !settled.some((s) => sameSet(s, u.columns)) && u.columns.every((c) => targetColumns.includes(c)),
  );
  if (judged.length === 0 || !key.every((c) => targetColumns.includes(c))) return undefined;
  // A key column the run adds to the table holds NULL in every target row: no row there is
  // an incoming row's own, so any match counts, as under `keep-both`.
  const own = spec.conflict.policy === 'keep-both' || !key.every((c) => state.columns.has(c)) ? [] : key;
  const queries = judged.map((u) => ({
    unique: u,
    sql: hitsSql(qualified(schema, spec.target), u, own, state),
    columns: [...u.columns, ...own].map((c) => targetColumns.indexOf(c)),
  }));
  return async (page, rows) => {
    const hits = new Map<string, number[]>();
    if (rows.length === 0) return hits;
    for (const q of queries) {
      const params: unknown[] = [
        rows,
        ...q.columns.map((j) => rows.map((i) => constraintText(page.outcomes[i]?.values[j]))),
      ];
      const res = await constraintQuery<{ i: number }>(client, spec.target, q.sql, params);
      if (res.rows.length > 0)
        hits.set(
          q.unique.name,
          res.rows.map((r) => r.i),
        );
    }
    return hits;
  };
}

/** The rows whose `unique` values a row of `table` holds, under another `key` when one is given. */
function hitsSql(table: string, unique: TargetUnique, key: readonly string[], state: TargetTableState): string {
  const cols = [...unique.columns, ...key];
  const cast = (j: number): string => `u.c${j}::${state.columns.get(cols[j] as string) ?? 'text'}`;
  const meets = unique.columns.map((c, j) => `t.${quoteIdent(c)} = ${cast(j)}`);
  const same = key.map((c, j) => `t.${quoteIdent(c)} IS NOT DISTINCT FROM ${cast(unique.columns.length + j)}`);
  return `SELECT u.i FROM ${unnestRows(cols.length)}
           WHERE EXISTS (SELECT 1 FROM ${table} t WHERE ${meets.join(' AND ')}${same.length === 0 ? '' : ` AND NOT (${same.join(' AND ')})`})
           ORDER BY u.i`;
}
