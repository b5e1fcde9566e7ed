import type pg from 'pg';
import { digestSql, SetDigest } from '../../tables/canonical.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import { withTransaction } from '../../target/transaction.js';

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
