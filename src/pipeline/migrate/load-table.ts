import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { TargetError } from '../../errors.js';
import type { TableSpec } from '../../mapping/schema.js';
import type { CompiledTable, OrphanFilter, OversizedKeys } from '../../tables/row-converter.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import { WORKER_MIN_ROWS, localBatchSource, startBatchSource, type BatchSource } from '../shared/batch-source.js';
import type { Reporter } from '../../report/events.js';
import { conflictSql, rekeyedTextKey, type ConflictSql } from '../../target/merge-sql.js';
import { isTransactionConflict, isUniqueViolation, withTransaction } from '../../target/transaction.js';
import type { PreparedBatch, StreamBody } from '../shared/prepare-batch.js';
import type { DigestPlan } from '../shared/digest-plan.js';
import { sourceMaxId } from '../shared/id-room.js';
import {
  keysCompression,
  recordBatch,
  recordBatchStatement,
  type BatchRecord,
  type TextArrayLiteral,
} from '../../ledger/batches.js';
import { copyInOneTrip } from '../../target/one-trip-copy.js';
import { recordConflicts, recordKeptBoth } from '../../ledger/conflicts.js';
import { renumberClashingIds } from '../../ledger/id-map.js';
import type { RunTableKey } from '../../ledger/run-tables.js';
import { targetName } from '../../mapping/target-name.js';

/** The source table a load reads. */
export interface LoadSource {
  readonly db: Database.Database;
  /** The file the conversion worker reads: the snapshot's. */
  readonly dbPath: string;
  readonly sourceColumns: readonly string[];
  /** Source rows of the table: big tables are converted on a worker thread. */
  readonly rows: number;
  readonly sourceTimezone: string;
  /** Foreign-key values the target's referenced tables lack: their rows are rejected (fk_orphan). */
  readonly orphans: readonly OrphanFilter[];
  /** Rows whose key no index entry of the target holds: rejected (key_too_large). */
  readonly oversizedKeys: readonly OversizedKeys[];
  /** How each batch digests its rows for verify (src/pipeline/shared/digest-plan.ts); null: no digest. */
  readonly digestPlan: DigestPlan | null;
}

/** Where the load starts: a fresh table, or where an earlier process stopped. */
export interface LoadStart {
  /** Resume after this source rowid; null for a fresh table. */
  readonly afterRowid: bigint | null;
  /** COPY straight into the target (it was empty when the table started) or through a staging table. */
  readonly direct: boolean;
  /** Rows done before this process started (resume), for progress. */
  readonly doneBefore: number;
}

export interface LoadTableInput {
  readonly client: pg.Client;
  /** The table in the ledger: run, source file, source table. */
  readonly at: RunTableKey;
  /** The run's instance name: a re-keyed text id gets it as a suffix. */
  readonly instance: string;
  readonly schema: string;
  readonly spec: TableSpec;
  readonly compiled: CompiledTable;
  readonly source: LoadSource;
  readonly start: LoadStart;
  readonly batchRows: number;
  readonly batchBytes: number;
  readonly signal: AbortSignal;
  readonly reporter: Reporter;
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

type Totals = { -readonly [K in Exclude<keyof LoadTableResult, 'switchedToStaging' | 'interrupted'>]: number };

/** The target table as one load writes it: names, the staging table, and the conflict SQL. */
interface LoadTarget {
  /** The target, schema-qualified. */
  readonly table: string;
  /** The target as pg_get_serial_sequence takes it. */
  readonly sequenceOwner: string;
  /** Target columns, quoted, in COPY order. */
  readonly columns: string;
  /** The staging table's name, quoted (a temporary table, one per source table). */
  readonly stageName: string;
  /** The staging table, qualified by pg_temp. */
  readonly stage: string;
  /** Where a staged row waits while an earlier row of its batch with its key goes first (holdLaterDuplicates): name and qualified. */
  readonly heldName: string;
  readonly held: string;
  readonly keyColumns: readonly string[];
  /** The surrogate id column (target name), or null. */
  readonly surrogate: string | null;
  readonly keyIsSurrogate: boolean;
  /** keep-both on a text id (positions, populations): the incoming row is loaded under a new id instead of being dropped. */
  readonly rekeyText: string | null;
  readonly conflict: ConflictSql;
}

/** What one batch put into the target. */
interface Moved {
  readonly loaded: number;
  readonly merged: number;
  /** The keys the rows now have in the target (re-keyed ones included): what verify holds the target to and what rollback deletes. */
  readonly keys: readonly string[] | TextArrayLiteral;
  /** sha256 of the COPY bytes sent. */
  readonly digest: string;
}

/**
 * Loads one source table in batches. Each batch (a page of source rows in
 * rowid order) and its checkpoint commit in one transaction: the rows, their
 * rejects and repairs, the batch record and the table's resume position. A kill
 * at any instant therefore leaves either the whole batch or none of it, and the
 * next run continues after the last committed rowid.
 *
 * A direct COPY that meets a duplicate key (two source rows that became equal
 * after a repair) is rolled back, and the table continues from that batch
 * through the staging table, which resolves it by the table's conflict policy.
 */
export async function loadTable(input: LoadTableInput): Promise<LoadTableResult> {
  const target = describeTarget(input);
  const totals: Totals = { rowsRead: 0, rowsLoaded: 0, rowsRejected: 0, rowsMerged: 0, rowsRepaired: 0, bytes: 0 };
  let direct = input.start.direct;
  let after = input.start.afterRowid;
  for (;;) {
    if (!direct) await createStage(input, target);
    const pass = await loadBatches(input, target, direct, after, totals);
    if (pass.end !== 'duplicate')
      return { ...totals, switchedToStaging: direct !== input.start.direct, interrupted: pass.end === 'interrupted' };
    after = pass.after;
    direct = false;
  }
}

function describeTarget(input: LoadTableInput): LoadTarget {
  const { spec } = input;
  const table = qualified(input.schema, spec.target);
  const columns = input.compiled.targetColumns;
  const stageId = createHash('sha1').update(`${input.at.file}:${spec.source}`).digest('hex').slice(0, 12);
  const stageName = quoteIdent(`am_stage_${stageId}`);
  const heldName = quoteIdent(`am_held_${stageId}`);
  const keyColumns = spec.key.map((k) => targetName(spec, k));
  const surrogate = spec.surrogateKey === undefined ? null : targetName(spec, spec.surrogateKey);
  return {
    table,
    sequenceOwner: `${quoteIdent(input.schema)}.${quoteIdent(spec.target)}`,
    columns: columns.map(quoteIdent).join(', '),
    stageName,
    stage: `pg_temp.${stageName}`,
    heldName,
    held: `pg_temp.${heldName}`,
    keyColumns,
    surrogate,
    keyIsSurrogate: surrogate !== null && keyColumns.length === 1 && keyColumns[0] === surrogate,
    rekeyText: rekeyedTextKey(spec) === null ? null : (keyColumns[0] as string),
    conflict: conflictSql(spec, spec.conflict, table, `pg_temp.${stageName}`, columns, keyColumns),
  };
}

/**
 * The staging table (emptied at every commit). With a surrogate id, the
 * target's sequence first moves past every id already in the target and every
 * source id of this table, so a re-assigned id never collides with one still to come.
 */
async function createStage(input: LoadTableInput, t: LoadTarget): Promise<void> {
  const { client, spec } = input;
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS ${t.stageName} ON COMMIT DELETE ROWS AS SELECT ${t.columns}, 0::bigint AS __rowid, ''::text AS __key FROM ${t.table} WITH NO DATA`,
  );
  if (t.surrogate === null) return;
  // An id that is not an integer (a text the converter rejects) would stop the cast to bigint.
  const maxSource = sourceMaxId(input.source.db, spec.source, spec.surrogateKey ?? '');
  await client.query(
    `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT COALESCE(max(${quoteIdent(t.surrogate)}), 0) FROM ${t.table}), $3::bigint, 1))`,
    [t.sequenceOwner, t.surrogate, maxSource.toString()],
  );
}

/**
 * One pass over the table's batches, from `after` on, until the table's end,
 * an abort, or a direct COPY meeting a duplicate key (`after` is then the last
 * committed rowid). A worker reads and converts up to two batches ahead while
 * this thread moves the previous ones into PostgreSQL.
 */
async function loadBatches(
  input: LoadTableInput,
  t: LoadTarget,
  direct: boolean,
  after: bigint | null,
  totals: Totals,
): Promise<{ end: 'done' | 'interrupted' | 'duplicate'; after: bigint | null }> {
  const source = openBatchSource(input, direct, after);
  try {
    for await (const batch of source) {
      if (input.signal.aborted) return { end: 'interrupted', after };
      const moved = await applyBatch(input, t, direct, batch);
      if (moved === 'interrupted') return { end: 'interrupted', after };
      if (moved === null) return { end: 'duplicate', after };
      count(totals, batch, moved);
      input.reporter.emit('table:rows', {
        file: input.at.file,
        table: input.spec.source,
        done: input.start.doneBefore + totals.rowsRead,
        bytes: totals.bytes,
      });
      after = BigInt(batch.lastRowid);
      source.ack(batch);
    }
    return { end: 'done', after };
  } finally {
    await source.close();
  }
}

function openBatchSource(input: LoadTableInput, direct: boolean, after: bigint | null): BatchSource {
  const { source } = input;
  const params = {
    spec: input.spec,
    sourceColumns: source.sourceColumns,
    sourceTimezone: source.sourceTimezone,
    orphans: source.orphans,
    oversizedKeys: source.oversizedKeys,
    afterRowid: after === null ? null : after.toString(),
    direct,
    batchRows: input.batchRows,
    batchBytes: input.batchBytes,
    digestPlan: source.digestPlan,
  };
  return source.rows >= WORKER_MIN_ROWS
    ? startBatchSource({ ...params, dbPath: source.dbPath })
    : localBatchSource(source.db, params);
}

function count(totals: Totals, p: PreparedBatch, moved: Moved): void {
  totals.rowsRead += p.rowsRead;
  totals.rowsLoaded += moved.loaded;
  totals.rowsRejected += p.rejects.length;
  totals.rowsMerged += moved.merged;
  totals.rowsRepaired += p.repairedRows;
  totals.bytes += p.bytes;
}

/**
 * Commits one batch; null when a direct COPY met a duplicate key,
 * 'interrupted' when the run was stopped while the batch waited to be sent
 * again (nothing of the batch is kept in either case).
 */
async function applyBatch(
  input: LoadTableInput,
  t: LoadTarget,
  direct: boolean,
  p: PreparedBatch,
): Promise<Moved | null | 'interrupted'> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commitBatch(input, t, direct, p);
    } catch (err: unknown) {
      if (direct && isUniqueViolation(err)) return null;
      // Aborted whole, so sent again, after the other session has had time to finish; a
      // streamed body is encoded as it is sent and cannot be: the run stops and resumes.
      if (!isTransactionConflict(err) || p.body.kind !== 'payload' || attempt >= CONFLICT_ATTEMPTS) throw err;
      const waited = await sleep(CONFLICT_BACKOFF_MS * 4 ** (attempt - 1), true, { signal: input.signal }).catch(
        () => false,
      );
      if (!waited) return 'interrupted';
    }
  }
}

/** Tries of a batch the server aborts for a conflict with another session (isTransactionConflict). */
const CONFLICT_ATTEMPTS = 5;
/** The first wait before a batch is sent again, then four times longer each time: 0.1 s … 6.4 s. */
const CONFLICT_BACKOFF_MS = 100;

/** One transaction: the batch's rows into the target, then its checkpoint in the ledger. */
async function commitBatch(input: LoadTableInput, t: LoadTarget, direct: boolean, p: PreparedBatch): Promise<Moved> {
  if (direct && p.body.kind === 'payload' && p.body.payload.length > 0) {
    const moved: Moved = { loaded: p.loadable, merged: 0, keys: p.keys, digest: p.body.digest };
    const checkpoint = recordBatchStatement(input.at, batchRecord(input, p, moved, 0));
    if (checkpoint !== null) {
      const compression = await keysCompression(input.client);
      await commitInOneTrip(input.client, t, p.body.payload, `${compression}${checkpoint}`, p.binary);
      return moved;
    }
  }
  const started = Date.now();
  return withTransaction(input.client, async (tx) => {
    const moved = direct ? await copyDirect(tx, t, p) : await mergeThroughStage(tx, input, t, p);
    // The batch's digest is known once its bytes are sent (a streamed body is hashed as it is encoded).
    await recordBatch(tx, input.at, batchRecord(input, p, moved, (Date.now() - started) / 1000));
    return moved;
  });
}

function batchRecord(input: LoadTableInput, p: PreparedBatch, moved: Moved, seconds: number): BatchRecord {
  return {
    firstRowid: p.firstRowid,
    lastRowid: p.lastRowid,
    rowsRead: p.rowsRead,
    rowsLoaded: moved.loaded,
    rowsMerged: moved.merged,
    digest: moved.digest,
    rowDigest: p.rowDigest === null ? null : { digest: p.rowDigest, plan: input.source.digestPlan?.signature ?? '' },
    loadedKeys: moved.keys,
    rejects: p.rejects,
    repairs: p.repairs,
    repairedRows: p.repairedRows,
    bytes: p.bytes,
    seconds,
  };
}

/**
 * A direct batch whose bytes are in hand, as one query: BEGIN, the COPY, its
 * checkpoint and COMMIT in a single round trip (src/target/one-trip-copy.ts)
 * instead of five, which is what keeps a server a few milliseconds away from
 * slowing the load. The same transaction as withTransaction's: a failure
 * anywhere leaves it aborted, and it is rolled back.
 */
async function commitInOneTrip(
  client: pg.Client,
  t: LoadTarget,
  payload: Uint8Array,
  checkpoint: string,
  binary: boolean,
): Promise<void> {
  try {
    await copyInOneTrip(
      client,
      { before: 'BEGIN', copy: directCopy(t, binary), after: `${checkpoint};\nCOMMIT` },
      payload,
    );
  } catch (err: unknown) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function copyDirect(tx: pg.Client, t: LoadTarget, p: PreparedBatch): Promise<Moved> {
  const digest = await copyInto(tx, directCopy(t, p.binary), p);
  return { loaded: p.loadable, merged: 0, keys: p.keys, digest };
}

/** The COPY of a direct batch, in the format its payload was encoded in (PreparedBatch.binary). */
function directCopy(t: LoadTarget, binary: boolean): string {
  return `COPY ${t.table} (${t.columns}) FROM STDIN${binary ? ' (FORMAT binary)' : ''}`;
}

/**
 * COPY into the staging table, settle the rows whose key or id the target
 * already holds (by the table's policy), then insert the rest.
 */
async function mergeThroughStage(
  tx: pg.Client,
  input: LoadTableInput,
  t: LoadTarget,
  p: PreparedBatch,
): Promise<Moved> {
  const digest = await copyInto(tx, `COPY ${t.stage} (${t.columns}, __rowid, __key) FROM STDIN`, p);
  let merged = 0;
  let loaded = 0;
  const keys: string[] = [];
  // Rows of the batch that share a key once converted go in rounds, in source
  // order: each later one then meets the earlier one in the target, and the
  // table's policy settles it as it settles a key another instance loaded.
  for (let round = 0; ; round++) {
    const held = t.keyIsSurrogate ? 0 : await holdLaterDuplicates(tx, t, round > 0);
    if (t.rekeyText !== null) await rekeyTextIds(tx, input, t, t.rekeyText);
    else if (!t.keyIsSurrogate) merged += await resolveKeyConflicts(tx, input, t);
    if (t.surrogate !== null) await reassignClashingIds(tx, input, t, t.surrogate);
    for (const r of (await tx.query<{ k: string }>(`SELECT __key AS k FROM ${t.stage}`)).rows) keys.push(r.k);
    loaded +=
      (await tx.query(`INSERT INTO ${t.table} (${t.columns}) SELECT ${t.columns} FROM ${t.stage}`)).rowCount ?? 0;
    if (held === 0) return { loaded, merged, keys, digest };
    await tx.query(`TRUNCATE ${t.stage}; INSERT INTO ${t.stage} SELECT * FROM ${t.held}; TRUNCATE ${t.held}`);
  }
}

/**
 * Moves the staged rows whose key an earlier staged row has (by __rowid) to
 * the held table, and returns how many. The first round asks first whether
 * the stage holds any (most batches do not), which a GROUP BY on the key
 * answers without writing.
 */
async function holdLaterDuplicates(tx: pg.Client, t: LoadTarget, again: boolean): Promise<number> {
  const cols = t.keyColumns.map((k) => quoteIdent(k));
  const notNull = cols.map((c) => `${c} IS NOT NULL`).join(' AND ');
  if (!again) {
    const any = await tx.query(
      `SELECT 1 FROM ${t.stage} WHERE ${notNull} GROUP BY ${cols.join(', ')} HAVING count(*) > 1 LIMIT 1`,
    );
    if (any.rows.length === 0) return 0;
  }
  await tx.query(
    `CREATE TEMP TABLE IF NOT EXISTS ${t.heldName} ON COMMIT DELETE ROWS AS SELECT * FROM ${t.stage} WITH NO DATA`,
  );
  const same = cols.map((c) => `e.${c} = s.${c}`).join(' AND ');
  const moved = await tx.query(
    `WITH d AS (DELETE FROM ${t.stage} AS s WHERE EXISTS (SELECT 1 FROM ${t.stage} AS e WHERE ${same} AND e.__rowid < s.__rowid) RETURNING s.*)
     INSERT INTO ${t.held} SELECT * FROM d`,
  );
  return moved.rowCount ?? 0;
}

/** COPYs the batch's bytes; returns their sha256. */
async function copyInto(tx: pg.Client, sql: string, p: PreparedBatch): Promise<string> {
  const body = p.body;
  if (body.kind === 'stream') return p.loadable === 0 ? body.encode(() => undefined) : copyStreamed(tx, sql, body);
  if (body.payload.length === 0) return body.digest;
  const stream = tx.query(copyFrom(sql));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    // 'finish' fires after the server acknowledged the COPY (pg-copy-streams).
    stream.on('finish', resolve);
    stream.end(body.payload);
  });
  return body.digest;
}

/**
 * COPYs a streamed body chunk by chunk: the encoder waits until the socket
 * has taken each chunk (pg-copy-streams writes it to the socket by reference,
 * so a chunk is never reused; the encoder allocates a new one). Should the
 * encoder fail, the COPY is cancelled (destroy sends CopyFail), so the
 * connection is free for the transaction's ROLLBACK.
 */
async function copyStreamed(tx: pg.Client, sql: string, body: StreamBody): Promise<string> {
  // The default highWaterMark (16 KiB) makes every chunk's write wait for
  // 'drain', so the stream never queues a second chunk of its own.
  // pg-copy-streams reports a server error (a duplicate key, say) by 'error'
  // and lets go of the connection: a chunk it queued would then be written to
  // no connection (a TypeError in a socket callback), and the stream must not
  // be written, ended or destroyed after it; a write waiting for 'drain' then
  // waits for nothing.
  const stream = tx.query(copyFrom(sql));
  let failure: { error: unknown } | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('error', (error: unknown) => {
      failure = { error };
      reject(error);
    });
    stream.on('finish', resolve);
  });
  finished.catch(() => undefined);
  const write = (chunk: Buffer): Promise<void> | undefined => {
    if (failure !== null) throw failure.error;
    return stream.write(chunk) ? undefined : Promise.race([once(stream, 'drain').then(() => undefined), finished]);
  };
  let digest: string;
  try {
    digest = await body.encode(write);
  } catch (err: unknown) {
    if (failure !== null) throw (failure as { error: unknown }).error;
    // The encoder failed: cancel the COPY (destroy sends CopyFail), so the connection is free for ROLLBACK.
    stream.destroy(err instanceof Error ? err : new Error(String(err)));
    await finished.catch(() => undefined);
    throw err;
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  stream.end();
  await finished;
  return digest;
}

/**
 * Staged rows whose natural key the target holds: recorded in the ledger with
 * both rows, the target updated as the policy says, and the rows dropped from
 * the stage. Returns how many were merged. Policy fail stops the run instead.
 */
async function resolveKeyConflicts(tx: pg.Client, input: LoadTableInput, t: LoadTarget): Promise<number> {
  const { spec, at } = input;
  const recorded = await recordConflicts(tx, at, spec.target, t.conflict.collisions);
  if (recorded > 0 && spec.conflict.policy === 'fail') {
    const keys = await tx.query<{ k: string }>(
      `SELECT __key AS k FROM ${t.stage} AS s JOIN ${t.table} AS t ON ${t.keyColumns.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ')} LIMIT 5`,
    );
    throw new TargetError(
      'TARGET_CONFLICT',
      `${recorded} row(s) of ${at.file} ${spec.source} have keys already in ${spec.target}, and its conflict policy is fail: ${keys.rows.map((r) => r.k).join(', ')}`,
      { table: spec.target },
    );
  }
  if (t.conflict.update !== null)
    await tx.query(t.conflict.update).catch((err: unknown) => {
      // A merged sum past its column's type, of rows a new run could not judge
      // before it (two files of one run, rows of one batch with one key):
      // src/pipeline/shared/merge-overflows.ts judges those against the target.
      if ((err as { code?: unknown }).code !== '22003') throw err;
      throw new TargetError(
        'TARGET_MERGE_OUT_OF_RANGE',
        `${at.file} ${spec.source}: the ${spec.conflict.policy} policy's new value for a key ${spec.target} holds passes its column's type: ${(err as Error).message}`,
        {
          table: spec.target,
          cause: err,
          hint: `Every committed batch is kept. Widen the column of ${spec.target} (ALTER TABLE … ALTER COLUMN … TYPE bigint, or numeric), or fix the row in a copy of the file, then run the same command again to resume.`,
        },
      );
    });
  return (await tx.query(t.conflict.discard)).rowCount ?? 0;
}

/**
 * Staged rows whose surrogate id the target holds get new ids in the order of
 * the old ids, from one block of the sequence, so the result does not depend
 * on batch size or plan.
 */
async function reassignClashingIds(
  tx: pg.Client,
  input: LoadTableInput,
  t: LoadTarget,
  surrogate: string,
): Promise<void> {
  const s = quoteIdent(surrogate);
  const seq = [t.sequenceOwner, surrogate];
  const clash = await tx.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${t.stage} AS s WHERE EXISTS (SELECT 1 FROM ${t.table} AS t WHERE t.${s} = s.${s})`,
  );
  const n = Number(clash.rows[0]?.n ?? 0);
  if (n === 0) return;
  const base =
    (await tx.query<{ b: string }>('SELECT nextval(pg_get_serial_sequence($1, $2)) AS b', seq)).rows[0]?.b ?? '1';
  await tx.query('SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint + $4 - 1)', [...seq, base, n]);
  await renumberClashingIds(
    tx,
    input.at,
    { target: t.table, stage: t.stage, surrogate, keyIsSurrogate: t.keyIsSurrogate },
    base,
  );
}

/**
 * keep-both on a single text key: an incoming row whose id is taken is the
 * same id for a different record (8-hex position ids, second-resolution
 * population ids), so it is loaded as `<id>~<instance>` (then `~2`, `~3`, …
 * should that be taken too), and the resolution goes into the ledger with the
 * row it collided with. Deterministic: the same files give the same new ids.
 */
async function rekeyTextIds(tx: pg.Client, input: LoadTableInput, t: LoadTarget, keyColumn: string): Promise<void> {
  const k = quoteIdent(keyColumn);
  for (let n = 1; n <= 100; n++) {
    const suffix = n === 1 ? `~${input.instance}` : `~${input.instance}~${n}`;
    const res = await tx.query(
      `UPDATE ${t.stage} AS s SET ${k} = s.__key || $1 WHERE EXISTS (SELECT 1 FROM ${t.table} AS t WHERE t.${k} = s.${k})`,
      [suffix],
    );
    if ((res.rowCount ?? 0) === 0) break;
    if (n === 100)
      throw new TargetError(
        'TARGET_CONFLICT',
        `could not find a free id for ${res.rowCount ?? 0} row(s) after 100 suffixes`,
        { table: input.spec.target },
      );
  }
  await recordKeptBoth(tx, input.at, { targetTable: input.spec.target, target: t.table, stage: t.stage, keyColumn });
  await tx.query(`UPDATE ${t.stage} SET __key = ${k} WHERE ${k} IS DISTINCT FROM __key`);
}
