import { jsonbParam } from './jsonb-param.js';
import type pg from 'pg';
import { SetDigest } from '../tables/canonical.js';
import type { RunTableKey } from './run-tables.js';
import { oncePerConnection } from '../util/per-connection.js';
import { dollarQuoted } from '../util/quote.js';

/** What one committed batch of a table did: its source rows, what became of them, and how long it took. */
export interface BatchRecord {
  /** Source rowids of the batch's first and last row (decimal text: rowids are 64-bit). */
  readonly firstRowid: string;
  readonly lastRowid: string;
  readonly rowsRead: number;
  readonly rowsLoaded: number;
  readonly rowsMerged: number;
  /** sha256 of the COPY payload; for a binary batch, its row digest, which covers the same bytes (src/pipeline/shared/prepare-batch.ts, PayloadBody). */
  readonly digest: string;
  /** The rows' digest in verify's canonical form, with the signature of the plan it was computed under; null without a plan. */
  readonly rowDigest: { readonly digest: string; readonly plan: string } | null;
  /**
   * The keys its rows were inserted under (re-keyed ones included): what verify
   * holds the target to and what rollback deletes.
   */
  readonly loadedKeys: readonly string[] | TextArrayLiteral;
  /** Rejected rows, `{ rowid, key, col, kind, reason, original }` each (src/pipeline/shared/prepare-batch.ts). */
  readonly rejects: readonly object[];
  /** Repaired values, `{ rowid, key, col, kind, original }` each. */
  readonly repairs: readonly object[];
  /** Rows with at least one repaired value. */
  readonly repairedRows: number;
  /** Bytes of source values read. */
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * A text[] value as PostgreSQL reads it in text form (`{"a","b\\"c"}`), built
 * where the keys are made: one string crosses from the conversion worker to
 * the main thread instead of thousands, which keeps the main thread's young
 * generation (and so the process's memory) small.
 */
export interface TextArrayLiteral {
  readonly literal: string;
  readonly count: number;
}

export function textArrayLiteral(items: readonly string[]): TextArrayLiteral {
  let literal = '{';
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    literal += `${i === 0 ? '' : ','}"${/["\\]/.test(item) ? item.replace(/["\\]/g, '\\$&') : item}"`;
  }
  return { literal: `${literal}}`, count: items.length };
}

/**
 * The batch record, its rejects and repairs, and the table's counters and
 * resume position (last_rowid) in run_tables, in one statement.
 */
const RECORD_BATCH_SQL = `
WITH b AS (
  INSERT INTO aragora_migrate.batches (run_id, source_file, source_table, batch_no, first_rowid, last_rowid, rows_read, rows_loaded, rows_rejected, rows_merged, digest, loaded_keys, row_digest, digest_plan)
  SELECT $1, $2, $3, COALESCE(max(batch_no), 0) + 1, $4, $5, $6, $7, $8, $9, $10, $16::text[], $17, $18
    FROM aragora_migrate.batches WHERE run_id = $1 AND source_file = $2 AND source_table = $3
), r AS (
  INSERT INTO aragora_migrate.rejects (run_id, source_file, source_table, source_rowid, row_key, column_name, kind, reason, original)
  SELECT $1, $2, $3, x.rowid, x.key, x.col, x.kind, x.reason, x.original
    FROM jsonb_to_recordset($11::jsonb) AS x(rowid bigint, key text, col text, kind text, reason text, original jsonb)
), p AS (
  INSERT INTO aragora_migrate.repairs (run_id, source_file, source_table, source_rowid, row_key, column_name, kind, original)
  SELECT $1, $2, $3, x.rowid, x.key, x.col, x.kind, x.original
    FROM jsonb_to_recordset($12::jsonb) AS x(rowid bigint, key text, col text, kind text, original jsonb)
)
UPDATE aragora_migrate.run_tables
   SET rows_read = rows_read + $6, rows_loaded = rows_loaded + $7, rows_rejected = rows_rejected + $8,
       rows_merged = rows_merged + $9, rows_repaired = rows_repaired + $13, bytes_read = bytes_read + $14,
       seconds = seconds + $15, last_rowid = $5, state = 'loading'
 WHERE run_id = $1 AND source_file = $2 AND source_table = $3`;

/**
 * The checkpoint of one batch. Called inside the batch's own transaction, after
 * its rows went into the target: the rows and their checkpoint commit together,
 * so a kill at any instant leaves the whole batch or none of it, and the next
 * run continues after the last committed rowid. The batch's xid (the column's
 * default) is what rollback tells the run's rows apart by.
 */
export async function recordBatch(tx: pg.Client, at: RunTableKey, batch: BatchRecord): Promise<void> {
  await tx.query(RECORD_BATCH_SQL, recordBatchParams(at, batch));
}

type Param = string | number | null | readonly string[];

function recordBatchParams(at: RunTableKey, batch: BatchRecord): Param[] {
  return [
    at.runId,
    at.file,
    at.table,
    batch.firstRowid,
    batch.lastRowid,
    batch.rowsRead,
    batch.rowsLoaded,
    batch.rejects.length,
    batch.rowsMerged,
    batch.digest,
    jsonbParam(batch.rejects),
    jsonbParam(batch.repairs),
    batch.repairedRows,
    batch.bytes,
    batch.seconds,
    'literal' in batch.loadedKeys ? batch.loadedKeys.literal : batch.loadedKeys,
    batch.rowDigest?.digest ?? null,
    batch.rowDigest?.plan ?? null,
  ];
}

/** recordBatch's parameter for the batch's seconds. */
const SECONDS_PARAM = 15;

/**
 * recordBatch's statement with its values written in, for a query string that
 * also holds the batch's COPY and COMMIT (src/target/one-trip-copy.ts), which
 * takes no parameters. The batch's seconds are the server's: from the
 * transaction's start to this statement. null when a value cannot go into a
 * query string (a NUL byte) or is not yet one text (keys as a list rather than
 * a text[] literal); recordBatch then takes it as a parameter.
 */
export function recordBatchStatement(at: RunTableKey, batch: Omit<BatchRecord, 'seconds'>): string | null {
  const params = recordBatchParams(at, { ...batch, seconds: 0 });
  const literals: string[] = [];
  for (const [i, v] of params.entries()) {
    if (i + 1 === SECONDS_PARAM)
      literals.push('extract(epoch FROM clock_timestamp() - transaction_timestamp())::float8');
    else if (v === null) literals.push('NULL');
    else if (typeof v === 'number') literals.push(String(v));
    else if (typeof v !== 'string') return null;
    else {
      const quoted = dollarQuoted(v);
      if (quoted === null) return null;
      literals.push(quoted);
    }
  }
  return RECORD_BATCH_SQL.replace(/\$(\d+)/g, (_m, n: string) => literals[Number(n) - 1] as string);
}

/**
 * The statement to put before recordBatchStatement's, in the same
 * transaction and after the batch's COPY, so that the checkpoint's keys
 * (about 47 KB of text for 2,000 `continuum_memory` ids) are compressed with
 * lz4 instead of pglz; '' where the server has no lz4 (before PostgreSQL 14,
 * or built without it). pglz took about 1 s of the server's CPU over the
 * benchmark's 1.5M rows (docs/performance.md). `SET LOCAL` ends with the
 * transaction, and nothing but the ledger is written after it, so the
 * application's own values are stored as the server's settings say.
 */
export const keysCompression: (client: pg.Client) => Promise<string> = oncePerConnection((client: pg.Client) =>
  // The server's build does not change under a connection.
  client
    .query<{ lz4: boolean }>(
      "SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'",
    )
    .then((r) => (r.rows[0]?.lz4 === true ? "SET LOCAL default_toast_compression = 'lz4';\n" : '')),
);

/**
 * The row digests of one source table's batches in a run, summed, when every
 * batch has one computed under `plan`; null otherwise (a staged batch, a
 * batch of an older version, or a plan that differs), and verify converts
 * the source again.
 */
export async function loadedRowDigest(tx: pg.Client, at: RunTableKey, plan: string): Promise<SetDigest | null> {
  const r = await tx.query<{ row_digest: string | null; digest_plan: string | null }>(
    `SELECT row_digest, digest_plan FROM aragora_migrate.batches
      WHERE run_id = $1 AND source_file = $2 AND source_table = $3`,
    [at.runId, at.file, at.table],
  );
  const sum = new SetDigest();
  for (const b of r.rows) {
    if (b.row_digest === null || b.digest_plan !== plan) return null;
    sum.merge(b.row_digest);
  }
  return sum;
}
