import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { TargetError } from '../../errors.js';
import type { TableSpec } from '../../mapping/schema.js';
import type { CompiledTable, OrphanFilter } from '../../tables/row-converter.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import { WORKER_MIN_ROWS, localBatchSource, startBatchSource } from '../shared/batch-source.js';
import type { Reporter } from '../../report/events.js';
import { conflictSql, rekeyedTextKey } from '../../target/merge-sql.js';
import type { PreparedBatch } from '../shared/prepare-batch.js';

export interface LoadTableInput {
  readonly client: pg.Client;
  readonly db: Database.Database;
  /** The file the conversion worker reads: the snapshot's. */
  readonly dbPath: string;
  readonly compiled: CompiledTable;
  readonly spec: TableSpec;
  readonly sourceColumns: readonly string[];
  readonly sourceTimezone: string;
  /** Foreign-key values the target's referenced tables lack: their rows are rejected (fk_orphan). */
  readonly orphans: readonly OrphanFilter[];
  readonly runId: string;
  /** The run's instance name: a re-keyed text id gets it as a suffix. */
  readonly instance: string;
  readonly file: string;
  readonly schema: string;
  /** Resume after this source rowid; null for a fresh table. */
  readonly afterRowid: bigint | null;
  /** COPY straight into the target (it was empty when the table started) or through a staging table. */
  readonly direct: boolean;
  readonly batchRows: number;
  readonly batchBytes: number;
  readonly signal: AbortSignal;
  readonly reporter: Reporter;
  /** Rows done before this process started (resume), for progress. */
  readonly doneBefore: number;
  /** Source rows of the table: big tables are converted on a worker thread. */
  readonly rows: number;
}

export interface LoadTableResult {
  readonly rowsRead: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly rowsMerged: number;
  readonly rowsRepaired: number;
  readonly bytes: number;
  /** True when the stage path took over after a direct COPY met a duplicate key. */
  readonly switchedToStaging: boolean;
  readonly interrupted: boolean;
}

const LEDGER_BATCH_SQL = `
WITH b AS (
  INSERT INTO aragora_migrate.batches (run_id, source_file, source_table, batch_no, first_rowid, last_rowid, rows_read, rows_loaded, rows_rejected, rows_merged, digest, loaded_keys)
  SELECT $1, $2, $3, COALESCE(max(batch_no), 0) + 1, $4, $5, $6, $7, $8, $9, $10, $16::text[]
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
 * Loads one source table in batches. Each batch (a page of source rows in
 * rowid order) and its checkpoint commit in one transaction: the rows, their
 * rejects and repairs, the batch record and the table's resume position. A kill
 * at any instant therefore leaves either the whole batch or none of it, and the
 * next run continues after the last committed rowid.
 */
export async function loadTable(input: LoadTableInput): Promise<LoadTableResult> {
  const { client, compiled, spec } = input;
  const target = qualified(input.schema, spec.target);
  const columns = compiled.targetColumns;
  const colList = columns.map(quoteIdent).join(', ');
  const stage = quoteIdent(`am_stage_${createHash('sha1').update(`${input.file}:${spec.source}`).digest('hex').slice(0, 12)}`);
  const keyTargets = spec.key.map((k) => spec.columns.find((c) => c.name === k)?.target ?? k);
  const surrogate = spec.surrogateKey === undefined ? null : (spec.columns.find((c) => c.name === spec.surrogateKey)?.target ?? spec.surrogateKey);
  const keyIsSurrogate = surrogate !== null && keyTargets.length === 1 && keyTargets[0] === surrogate;
  const naturalConflicts = !keyIsSurrogate;
  // keep-both on a text id (positions, populations): the incoming row is loaded
  // under a new id instead of being dropped.
  const rekeyText = rekeyedTextKey(spec) === null ? null : (keyTargets[0] as string);
  const conflict = conflictSql(spec, spec.conflict, target, `pg_temp.${stage}`, columns, keyTargets);

  let direct = input.direct;
  let stageReady = false;
  let switched = false;
  const totals = { rowsRead: 0, rowsLoaded: 0, rowsRejected: 0, rowsMerged: 0, rowsRepaired: 0, bytes: 0 };

  const ensureStage = async (): Promise<void> => {
    if (stageReady) return;
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS ${stage} ON COMMIT DELETE ROWS AS SELECT ${colList}, 0::bigint AS __rowid, ''::text AS __key FROM ${target} WITH NO DATA`,
    );
    if (surrogate !== null) {
      // New ids must clear every id already in the target and every source id of
      // this table, so a re-assigned id never collides with one still to come.
      const maxSource = input.db.prepare(`SELECT max(${quoteIdent(spec.surrogateKey ?? '')}) FROM ${quoteIdent(spec.source)}`).pluck().get() as bigint | null;
      await client.query(
        `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT COALESCE(max(${quoteIdent(surrogate)}), 0) FROM ${target}), $3::bigint, 1))`,
        [`${quoteIdent(input.schema)}.${quoteIdent(spec.target)}`, surrogate, (maxSource ?? 0n).toString()],
      );
    }
    stageReady = true;
  };

  const copyInto = async (sql: string, payload: Uint8Array): Promise<void> => {
    if (payload.length === 0) return;
    const stream = client.query(copyFrom(sql));
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      // 'finish' fires after the server acknowledged the COPY (pg-copy-streams).
      stream.on('finish', resolve);
      stream.end(payload);
    });
  };

  const send = async (p: PreparedBatch): Promise<{ loaded: number; merged: number }> => {
    const started = Date.now();
    await client.query('BEGIN');
    try {
      let loaded = 0;
      let merged = 0;
      let loadedKeys: readonly string[] = p.keys;
      if (direct) {
        await copyInto(`COPY ${target} (${colList}) FROM STDIN`, p.payload);
        loaded = p.loadable;
      } else {
        await copyInto(`COPY pg_temp.${stage} (${colList}, __rowid, __key) FROM STDIN`, p.payload);
        if (rekeyText !== null) await rekeyTextIds(client, target, `pg_temp.${stage}`, rekeyText, [input.runId, input.file, spec.source, spec.target], input.instance);
        else if (naturalConflicts) {
          const params = [input.runId, input.file, spec.source, spec.target];
          const recorded = await client.query(conflict.record, params);
          if ((recorded.rowCount ?? 0) > 0 && spec.conflict.policy === 'fail') {
            const keys = await client.query<{ k: string }>(`SELECT __key AS k FROM pg_temp.${stage} AS s JOIN ${target} AS t ON ${keyTargets.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ')} LIMIT 5`);
            throw new TargetError('TARGET_CONFLICT', `${recorded.rowCount ?? 0} row(s) of ${input.file} ${spec.source} have keys already in ${spec.target}, and its conflict policy is fail: ${keys.rows.map((r) => r.k).join(', ')}`, { table: spec.target });
          }
          if (conflict.update !== null) await client.query(conflict.update);
          merged = (await client.query(conflict.discard)).rowCount ?? 0;
        }
        if (surrogate !== null) {
          // Colliding ids get new ones in the order of the old ids, from one block
          // of the sequence, so the result does not depend on batch size or plan.
          const s = quoteIdent(surrogate);
          const seq = [`${quoteIdent(input.schema)}.${quoteIdent(spec.target)}`, surrogate];
          const clash = await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_temp.${stage} AS s WHERE EXISTS (SELECT 1 FROM ${target} AS t WHERE t.${s} = s.${s})`);
          const n = Number(clash.rows[0]?.n ?? 0);
          if (n > 0) {
            const base = (await client.query<{ b: string }>('SELECT nextval(pg_get_serial_sequence($1, $2)) AS b', seq)).rows[0]?.b ?? '1';
            await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint + $4 - 1)', [...seq, base, n]);
            await client.query(
              `WITH clash AS (SELECT s.${s} AS old_id, $4::bigint + row_number() OVER (ORDER BY s.${s}) - 1 AS new_id
                                FROM pg_temp.${stage} AS s WHERE EXISTS (SELECT 1 FROM ${target} AS t WHERE t.${s} = s.${s})),
                    upd AS (UPDATE pg_temp.${stage} AS s SET ${s} = c.new_id${keyIsSurrogate ? ', __key = c.new_id::text' : ''} FROM clash c WHERE s.${s} = c.old_id RETURNING c.old_id, c.new_id)
               INSERT INTO aragora_migrate.id_map (run_id, source_file, source_table, source_id, target_id) SELECT $1, $2, $3, old_id, new_id FROM upd`,
              [input.runId, input.file, spec.source, base],
            );
          }
        }
        // The keys the rows now have in the target (re-keyed ones included): what
        // verify holds the target to and what rollback deletes.
        loadedKeys = (await client.query<{ k: string }>(`SELECT __key AS k FROM pg_temp.${stage}`)).rows.map((r) => r.k);
        loaded = (await client.query(`INSERT INTO ${target} (${colList}) SELECT ${colList} FROM pg_temp.${stage}`)).rowCount ?? 0;
      }
      await client.query(LEDGER_BATCH_SQL, [
        input.runId,
        input.file,
        spec.source,
        p.firstRowid,
        p.lastRowid,
        p.rowsRead,
        loaded,
        p.rejects.length,
        merged,
        p.digest,
        JSON.stringify(p.rejects),
        JSON.stringify(p.repairs),
        p.repairedRows,
        p.bytes,
        (Date.now() - started) / 1000,
        loadedKeys,
      ]);
      await client.query('COMMIT');
      return { loaded, merged };
    } catch (err: unknown) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };

  /** Applies one batch; false when a direct COPY met a duplicate key and the stage path must take over. */
  const apply = async (p: PreparedBatch): Promise<boolean> => {
    let result: { loaded: number; merged: number };
    try {
      result = await send(p);
    } catch (err: unknown) {
      // A duplicate key inside what looked like a fresh load (two source rows
      // that became equal after a repair): the stage path resolves it by policy.
      if (!direct || (err as { code?: string }).code !== '23505') throw err;
      return false;
    }
    totals.rowsRead += p.rowsRead;
    totals.rowsLoaded += result.loaded;
    totals.rowsRejected += p.rejects.length;
    totals.rowsMerged += result.merged;
    totals.rowsRepaired += p.repairedRows;
    totals.bytes += p.bytes;
    input.reporter.emit('table:rows', { file: input.file, table: spec.source, done: input.doneBefore + totals.rowsRead, bytes: totals.bytes });
    return true;
  };

  // A worker reads and converts up to two batches ahead while this thread
  // moves the previous ones into PostgreSQL.
  let after = input.afterRowid;
  let interrupted = false;
  for (let restart = true; restart; ) {
    restart = false;
    if (!direct) await ensureStage();
    const params = {
      spec,
      sourceColumns: input.sourceColumns,
      sourceTimezone: input.sourceTimezone,
      orphans: input.orphans,
      afterRowid: after === null ? null : after.toString(),
      direct,
      batchRows: input.batchRows,
      batchBytes: input.batchBytes,
    };
    const source = input.rows >= WORKER_MIN_ROWS ? startBatchSource({ ...params, dbPath: input.dbPath }) : localBatchSource(input.db, params);
    try {
      for await (const batch of source) {
        if (input.signal.aborted) {
          interrupted = true;
          break;
        }
        if (!(await apply(batch))) {
          direct = false;
          switched = true;
          restart = true;
          break;
        }
        after = BigInt(batch.lastRowid);
        source.ack();
      }
    } finally {
      await source.close();
    }
  }
  return { ...totals, switchedToStaging: switched, interrupted };
}

/**
 * keep-both on a single text key: an incoming row whose id is taken is the
 * same id for a different record (8-hex position ids, second-resolution
 * population ids), so it is loaded as `<id>~<instance>` (then `~2`, `~3`, …
 * should that be taken too), and the resolution goes into the ledger with the
 * row it collided with. Deterministic: the same files give the same new ids.
 * Parameters: run id, source file, source table, target table.
 */
async function rekeyTextIds(client: pg.Client, target: string, stage: string, keyColumn: string, params: string[], instance: string): Promise<void> {
  const k = quoteIdent(keyColumn);
  for (let n = 1; n <= 100; n++) {
    const suffix = n === 1 ? `~${instance}` : `~${instance}~${n}`;
    const res = await client.query(
      `UPDATE ${stage} AS s SET ${k} = s.__key || $1 WHERE EXISTS (SELECT 1 FROM ${target} AS t WHERE t.${k} = s.${k})`,
      [suffix],
    );
    if ((res.rowCount ?? 0) === 0) break;
    if (n === 100) throw new TargetError('TARGET_CONFLICT', `could not find a free id for ${res.rowCount ?? 0} row(s) after 100 suffixes`, { table: params[3] as string });
  }
  await client.query(
    `INSERT INTO aragora_migrate.conflicts (run_id, source_file, source_table, source_rowid, target_table, row_key, policy, outcome, before_row, incoming_row, target_key)
     SELECT $1, $2, $3, s.__rowid, $4, s.__key, 'keep-both', 'kept-both', to_jsonb(t.*), to_jsonb(s.*) - '__rowid' - '__key', s.${k}
       FROM ${stage} AS s JOIN ${target} AS t ON t.${k} = s.__key
      WHERE s.${k} IS DISTINCT FROM s.__key`,
    params,
  );
  await client.query(`UPDATE ${stage} SET __key = ${k} WHERE ${k} IS DISTINCT FROM __key`);
}
