import type pg from 'pg';
import { digestSql, hashAsBigint, SetDigest } from '../../tables/canonical.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import { withTransaction } from '../../target/transaction.js';
import { OTHER_RUN_KEYS, OTHER_RUN_XIDS } from '../../ledger/verifications.js';

/** A target row as verify reads it back: its key columns as text, then its row hash. */
export type TargetRow = (string | null)[];

/**
 * The digest of every row of the target table, summed by the server: one row
 * comes back, whatever the table's size. For when no row is to be left out.
 */
export async function summedTargetDigest(
  client: pg.Client,
  hashExpr: string,
  schema: string,
  target: string,
): Promise<SetDigest> {
  const sums = await client.query<{ n: string; sum: string }>(digestSql(hashExpr, qualified(schema, target)));
  const row = sums.rows[0] as { n: string; sum: string };
  return SetDigest.fromSum(Number(row.n), BigInt(row.sum));
}

/**
 * The digest of the target's rows but those the ledger accounts for
 * otherwise (src/pipeline/verify/digest-pass.ts), summed by the server, for a
 * table whose ledger key the server prints (`keyExpr`, one key column): rows
 * whose key a conflict policy resolved (`resolvedKeys`) are left out, rows
 * other runs inserted are counted apart (`otherRuns`). Computed where the
 * rows are: neither the keys of other runs nor the rows a first instance
 * loaded (which every later instance's verify would read) leave the server.
 */
export async function summedTargetDigestApart(
  client: pg.Client,
  q: { readonly hashExpr: string; readonly keyExpr: string; readonly schema: string; readonly target: string },
  runId: string,
  resolvedKeys: readonly string[],
): Promise<{ digest: SetDigest; otherRuns: number }> {
  const key = `(${q.keyExpr})`;
  // A row with a NULL key is another run's when one of its batches wrote it (OTHER_RUN_XIDS).
  const other = `(am_other.am_verify_key IS NOT NULL OR (${key} IS NULL AND am_t.xmin::text IN (SELECT x FROM am_other_xids)))`;
  const sql = `WITH am_other_xids AS MATERIALIZED (${OTHER_RUN_XIDS})
SELECT count(*) FILTER (WHERE NOT ${other})::text AS n,
       coalesce(sum(${hashAsBigint(q.hashExpr)}) FILTER (WHERE NOT ${other}), 0)::text AS sum,
       count(*) FILTER (WHERE ${other})::text AS other_runs
  FROM ${qualified(q.schema, q.target)} AS am_t
  LEFT JOIN (SELECT DISTINCT o.k AS am_verify_key FROM (${OTHER_RUN_KEYS}) AS o) AS am_other ON am_other.am_verify_key = ${key}
  LEFT JOIN (SELECT DISTINCT unnest($3::text[]) AS am_verify_key) AS am_resolved ON am_resolved.am_verify_key = ${key}
 WHERE am_resolved.am_verify_key IS NULL`;
  const r = await client.query<{ n: string; sum: string; other_runs: string }>(sql, [q.target, runId, resolvedKeys]);
  const row = r.rows[0] as { n: string; sum: string; other_runs: string };
  return { digest: SetDigest.fromSum(Number(row.n), BigInt(row.sum)), otherRuns: Number(row.other_runs) };
}

/**
 * Reads `select` over every row of the target table through a cursor, 5000
 * rows at a time, handing each batch to `onRows`: the server prints and
 * hashes each row, only keys and hashes come back. One repeatable-read
 * snapshot, so the rows are those of one instant.
 */
export async function readTargetRows(
  client: pg.Client,
  schema: string,
  target: string,
  select: string,
  onRows: (rows: TargetRow[]) => void,
): Promise<void> {
  const cursorName = quoteIdent(`am_verify_${target}`.slice(0, 60));
  await withTransaction(
    client,
    async (tx) => {
      await tx.query(`DECLARE ${cursorName} NO SCROLL CURSOR FOR SELECT ${select} FROM ${qualified(schema, target)}`);
      for (;;) {
        const res = await tx.query({ text: `FETCH 5000 FROM ${cursorName}`, rowMode: 'array' } as never);
        const rows = (res as { rows: TargetRow[] }).rows;
        if (rows.length === 0) break;
        onRows(rows);
      }
      await tx.query(`CLOSE ${cursorName}`);
    },
    'ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}
