import type pg from 'pg';
import { quoteIdent } from '../util/quote.js';
import type { RunTableKey } from './run-tables.js';

/**
 * The staged rows whose surrogate id is already taken in the target get new
 * ids `base`, `base + 1`, … in the order of their old ids, and each old → new
 * pair goes into aragora_migrate.id_map, in one statement (verify and rollback
 * find the re-assigned rows there). Inside the batch's transaction; the caller
 * has reserved the block of ids from the target's sequence. When the surrogate
 * is the table's key, the row's key (`__key`) follows its new id.
 */
export async function renumberClashingIds(
  tx: pg.Client,
  at: RunTableKey,
  into: {
    readonly target: string;
    readonly stage: string;
    readonly surrogate: string;
    readonly keyIsSurrogate: boolean;
  },
  base: string,
): Promise<void> {
  const s = quoteIdent(into.surrogate);
  await tx.query(
    `WITH clash AS (SELECT s.${s} AS old_id, $4::bigint + row_number() OVER (ORDER BY s.${s}) - 1 AS new_id
                      FROM ${into.stage} AS s WHERE EXISTS (SELECT 1 FROM ${into.target} AS t WHERE t.${s} = s.${s})),
          upd AS (UPDATE ${into.stage} AS s SET ${s} = c.new_id${into.keyIsSurrogate ? ', __key = c.new_id::text' : ''} FROM clash c WHERE s.${s} = c.old_id RETURNING c.old_id, c.new_id)
     INSERT INTO aragora_migrate.id_map (run_id, source_file, source_table, source_id, target_id) SELECT $1, $2, $3, old_id, new_id FROM upd`,
    [at.runId, at.file, at.table, base],
  );
}
