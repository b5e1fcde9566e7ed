import type pg from 'pg';
import type { TableSpec } from '../../mapping/schema.js';
import { targetName } from '../../mapping/target-name.js';
import type { TargetTableState } from '../../target/target-state.js';
import { unnestRows } from '../../target/unnest-rows.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import type { ConvertedPage } from '../plan/profile.js';
import { constraintQuery, constraintText } from './check-breaks.js';

/** For each column whose merged value would pass its type, by name: the rows (indexes into the page) that would. */
export type MergeOverflows = (page: ConvertedPage, rows: readonly number[]) => Promise<Map<string, number[]>>;

/** The values an integer column of PostgreSQL holds. */
const INTEGER_RANGE: Readonly<Record<string, readonly [string, string]>> = {
  smallint: ['-32768', '32767'],
  integer: ['-2147483648', '2147483647'],
  bigint: ['-9223372036854775808', '9223372036854775807'],
};

/**
 * Under the `merge` policy a `sum` column of a row whose key the target holds
 * takes the target's value plus the incoming one (mergeExpression,
 * src/target/merge-sql.ts). Two counters that each fit an integer column can
 * pass it together: two instances' `total_tokens` in the app's `integer`, or
 * a counter near 2^63 in `bigint`. The server then stopped the load at that
 * batch with "integer out of range" (exit 1), after the tables before it. Here
 * the sums are taken in `numeric` over the target's rows before any is
 * written; plan blocks them and a new run refuses them
 * (src/pipeline/migrate/constraint-refusal.ts). Undefined when the table is
 * not merged, holds no row, or sums no integer column the run writes.
 */
export function mergeOverflows(
  client: pg.Client,
  schema: string,
  spec: TableSpec,
  state: TargetTableState,
  targetColumns: readonly string[],
): MergeOverflows | undefined {
  if (spec.conflict.policy !== 'merge' || state.rows === 0) return undefined;
  const key = spec.key.map((k) => targetName(spec, k));
  if (!key.every((c) => state.columns.has(c) && targetColumns.includes(c))) return undefined;
  const sums = Object.entries(spec.conflict.columns)
    .filter(([, rule]) => (typeof rule === 'string' ? rule : rule.rule) === 'sum')
    .map(([source]) => targetName(spec, source))
    .filter(
      (c) => !key.includes(c) && targetColumns.includes(c) && INTEGER_RANGE[state.columns.get(c) ?? ''] !== undefined,
    );
  if (sums.length === 0) return undefined;
  const cols = [...key, ...sums];
  const on = key.map((c, j) => `t.${quoteIdent(c)} = u.c${j}::${state.columns.get(c) as string}`);
  const tests = sums.map((c, k) => {
    const [lo, hi] = INTEGER_RANGE[state.columns.get(c) as string] as readonly [string, string];
    // NULL and NULL stays NULL; otherwise a NULL counts as 0, as the merge takes it.
    const sum = `COALESCE(t.${quoteIdent(c)}::numeric, 0) + COALESCE(u.c${key.length + k}::numeric, 0)`;
    return `CASE WHEN ${sum} NOT BETWEEN ${lo} AND ${hi} THEN ${k} END`;
  });
  const sql = `SELECT u.i, o.over
                 FROM ${unnestRows(cols.length)}
                 JOIN ${qualified(schema, spec.target)} AS t ON ${on.join(' AND ')}
                 CROSS JOIN LATERAL (SELECT array_remove(ARRAY[${tests.join(', ')}]::int[], NULL) AS over) AS o
                WHERE cardinality(o.over) > 0
                ORDER BY u.i`;
  const at = cols.map((c) => targetColumns.indexOf(c));
  return async (page, rows) => {
    const over = new Map<string, number[]>();
    if (rows.length === 0) return over;
    const params: unknown[] = [rows, ...at.map((j) => rows.map((i) => constraintText(page.outcomes[i]?.values[j])))];
    const res = await constraintQuery<{ i: number; over: number[] }>(client, spec.target, sql, params);
    for (const r of res.rows)
      for (const k of r.over) {
        const column = sums[k] as string;
        const rowsOf = over.get(column);
        if (rowsOf === undefined) over.set(column, [r.i]);
        else rowsOf.push(r.i);
      }
    return over;
  };
}
