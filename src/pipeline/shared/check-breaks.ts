import type pg from 'pg';
import { TargetError } from '../../errors.js';
import type { Conflict } from '../../mapping/schema.js';
import { targetKeyPart } from '../../tables/target-key.js';
import type { TargetValue } from '../../tables/value.js';
import type { TargetCheck, TargetTableState } from '../../target/target-state.js';
import { unnestRows } from '../../target/unnest-rows.js';
import { quoteIdent } from '../../util/quote.js';
import type { ConvertedPage } from '../plan/profile.js';

/** For each CHECK constraint a page breaks, by name: the rows (indexes into the page) that break it. */
export type CheckBreaks = (page: ConvertedPage, rows: readonly number[]) => Promise<Map<string, number[]>>;

/**
 * The CHECK constraints of an existing target table, asked of converted rows
 * before any is written: the server evaluates each expression over the values
 * cast to the column's type and collation, as it would for the row COPY
 * sends, so a check that orders text (`agent_a < agent_b` under a linguistic
 * collation, which orders some pairs unlike SQLite) is judged as the load
 * would meet it. A row passes when the expression is true or null, as in
 * PostgreSQL. plan counts the rows that would break one; a new run refuses
 * them before it is created (src/pipeline/migrate/constraint-refusal.ts).
 * Undefined when the table has no check the run's columns decide: one that
 * reads a column the run leaves to the table's default cannot be judged from
 * the source alone and is left to the load.
 */
export function checkBreaks(
  client: pg.Client,
  table: string,
  state: TargetTableState,
  targetColumns: readonly string[],
): CheckBreaks | undefined {
  const checks = state.checks.filter((c) => c.columns.every((col) => targetColumns.includes(col.name)));
  if (checks.length === 0) return undefined;
  const columns = [...new Map(checks.flatMap((c) => c.columns).map((col) => [col.name, col] as const)).values()];
  const sql = breaksSql(checks, columns);
  const at = columns.map((col) => targetColumns.indexOf(col.name));
  return async (page, rows) => {
    const broken = new Map<string, number[]>();
    if (rows.length === 0) return broken;
    const params: unknown[] = [rows];
    at.forEach((j) => params.push(rows.map((i) => constraintText(page.outcomes[i]?.values[j]))));
    const res = await constraintQuery<{ i: number; broken: number[] }>(client, table, sql, params);
    for (const r of res.rows)
      for (const k of r.broken) {
        const name = (checks[k] as TargetCheck).name;
        const rowsOf = broken.get(name);
        if (rowsOf === undefined) broken.set(name, [r.i]);
        else rowsOf.push(r.i);
      }
    return broken;
  };
}

/**
 * A query that asks a target's constraints about converted rows. An error of
 * the rows' values (a check that divides by zero, a value its column does not
 * take) would stop their COPY just as well: TARGET_CONSTRAINT, with the
 * server's words, rather than a crash of plan.
 */
export async function constraintQuery<R extends pg.QueryResultRow>(
  client: pg.Client,
  table: string,
  sql: string,
  params: unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await client.query<R>(sql, params);
  } catch (err: unknown) {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code !== 'string' || !/^(22|23|42)/.test(e.code)) throw err;
    throw new TargetError(
      'TARGET_CONSTRAINT',
      `${table}: its constraints cannot be evaluated on the converted rows: ${String(e.message)} (SQLSTATE ${e.code})`,
      { table, cause: err },
    );
  }
}

/**
 * The rows of a page the load writes into the table, and so the rows its
 * checks judge: under `keep-existing` a row whose key the target holds
 * (`targetHits`), or an earlier row of the source holds (`page.repeats`), is
 * dropped and never meets them. Under the other policies the incoming values
 * are written (`merge` writes values it computes from both rows, judged here
 * by the incoming ones).
 */
export function writtenRows(page: ConvertedPage, policy: Conflict['policy'], targetHits: readonly number[]): number[] {
  const all = page.outcomes.map((_, i) => i);
  if (policy !== 'keep-existing') return all;
  const left = new Set([...targetHits, ...page.repeats]);
  return all.filter((i) => !left.has(i));
}

/**
 * One row per broken row: its index and which checks (indexes into `checks`)
 * it breaks. The cast values sit in a subquery of their own, under the
 * column names the expressions use, so no name of the unnest can shadow one.
 */
function breaksSql(checks: readonly TargetCheck[], columns: TargetCheck['columns']): string {
  const cast = columns.map(
    (col, j) =>
      `u.c${j}::${col.type}${col.collation === null ? '' : ` COLLATE ${col.collation}`} AS ${quoteIdent(col.name)}`,
  );
  const tests = checks.map((c, k) => `CASE WHEN (${c.expression}) IS FALSE THEN ${k} END`);
  return `SELECT u.i, b.broken
            FROM ${unnestRows(columns.length)}
            CROSS JOIN LATERAL (SELECT array_remove(ARRAY[${tests.join(', ')}]::int[], NULL) AS broken
                                  FROM (SELECT ${cast.join(', ')}) AS r) AS b
           WHERE cardinality(b.broken) > 0
           ORDER BY u.i`;
}

/**
 * A value as the text its column's input function reads, as targetKeyPart
 * gives it; a huge value still in the file (read in slices, 16 MB and more)
 * goes as null, so a check on it passes here, and it meets no unique index
 * (src/pipeline/shared/unique-hits.ts), and is left to the load.
 */
export function constraintText(v: TargetValue | undefined): string | null {
  if (typeof v === 'object' && v !== null && !Buffer.isBuffer(v)) return null;
  return targetKeyPart(v);
}
