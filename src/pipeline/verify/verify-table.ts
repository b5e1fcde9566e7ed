import Database from 'better-sqlite3';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type pg from 'pg';
import { compileTable, type CompiledTable } from '../../tables/row-converter.js';
import type { OffsetFn } from '../../tables/timestamp.js';
import { formatKey } from '../../util/keys.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import { CANONICAL_SESSION_SQL, canonical, checkCanon, columnCanon, type ColumnCanon, digestSql, keyHash, keySelectExpr, rowHashExpr, SetDigest } from '../../tables/canonical.js';
import { computeExpected, type ExpectedInput, type ExpectedResult, type ExpectedSource } from './verify-source.js';
import { rekeyedTextKey } from '../../target/merge-sql.js';
import { workerScript } from '../workers/worker-script.js';
import type { Reporter } from '../../report/events.js';
import { WORKER_MIN_ROWS } from '../shared/batch-source.js';
import { rawTextReader, rowidSlices } from '../../source/read.js';
import type { Task } from '../shared/tasks.js';
import type { Mismatch, VerifyTableResult } from '../../report/verify-report.js';




export interface VerifyTableInput {
  readonly client: pg.Client;
  readonly runId: string;
  readonly schema: string;
  readonly target: string;
  readonly tasks: readonly Task[];
  readonly offsetOf: OffsetFn;
  readonly sourceTimezone: string;
  readonly maxKeys: number;
  readonly tmpDir: string;
  readonly reporter: Reporter;
}

/**
 * Verifies one target table against the current source, independently of
 * what was recorded at load time: every source row goes through the same
 * converters again, the target is read back from PostgreSQL, both in one
 * canonical form. A first pass compares order-independent digests in constant
 * memory; only when they differ does a second pass keep the rows of both sides
 * by key in scratch SQLite files (bounded memory) to name each difference.
 */
export async function verifyTable(input: VerifyTableInput): Promise<VerifyTableResult> {
  const { client, runId, target } = input;
  const spec0 = (input.tasks[0] as Task).spec;
  // The column whose values a run may have re-assigned: an autoincrement
  // surrogate, or a text id under keep-both (loaded as `<id>~<instance>`).
  const surrogate = spec0.surrogateKey ?? rekeyedTextKey(spec0);
  const keyIsSurrogate = surrogate !== null && spec0.key.length === 1 && spec0.key[0] === surrogate;

  // What the ledger accounts for. A key whose target row a policy changed
  // (overwrite, newest, merge) is checked against the ledger, not the source;
  // one where the existing row was kept still holds the row loaded first.
  const resolved = await client.query<{ k: string }>(
    `SELECT DISTINCT c.row_key AS k FROM aragora_migrate.conflicts c JOIN aragora_migrate.runs r ON r.run_id = c.run_id AND r.state <> 'rolled-back'
      WHERE c.target_table = $1 AND c.outcome NOT LIKE 'kept-%'`,
    [target],
  );
  // Batches record the keys rows have in the target (after any re-keying).
  const others = await client.query<{ k: string; run_id: string }>(
    `SELECT DISTINCT k.k, b.run_id
       FROM aragora_migrate.batches b
       JOIN aragora_migrate.run_tables t USING (run_id, source_file, source_table)
       JOIN aragora_migrate.runs r ON r.run_id = b.run_id AND r.state <> 'rolled-back'
       CROSS JOIN LATERAL unnest(b.loaded_keys) AS k(k)
      WHERE t.target_table = $1 AND b.run_id <> $2`,
    [target, runId],
  );

  const compiledBy = new Map<Task, CompiledTable>();
  let columns: readonly string[] | null = null;
  for (const task of input.tasks) {
    const compiled = compileTable(task.spec, sourceColumnsOf(task), { offsetOf: input.offsetOf, fetchRaw: rawTextReader(task.snapshot.db, task.spec.source) });
    compiledBy.set(task, compiled);
    columns = columns === null ? compiled.targetColumns : columns.filter((c) => compiled.targetColumns.includes(c));
  }
  const sources: ExpectedSource[] = [];
  const idMaps = new Map<Task, ReadonlyMap<string, string>>();
  for (const task of input.tasks) {
    const params = [runId, task.file.path, task.spec.source];
    const rejected = (await client.query<{ r: string }>('SELECT source_rowid::text AS r FROM aragora_migrate.rejects WHERE run_id = $1 AND source_file = $2 AND source_table = $3', params)).rows.map((x) => x.r);
    const notLoaded = (await client.query<{ r: string }>("SELECT source_rowid::text AS r FROM aragora_migrate.conflicts WHERE run_id = $1 AND source_file = $2 AND source_table = $3 AND outcome <> 'kept-both'", params)).rows.map((x) => x.r);
    const idMap = (
      await client.query<{ s: string; t: string }>(
        `SELECT source_id::text AS s, target_id::text AS t FROM aragora_migrate.id_map WHERE run_id = $1 AND source_file = $2 AND source_table = $3
         UNION ALL
         SELECT row_key, target_key FROM aragora_migrate.conflicts WHERE run_id = $1 AND source_file = $2 AND source_table = $3 AND outcome = 'kept-both'`,
        params,
      )
    ).rows.map((x) => [x.s, x.t] as const);
    idMaps.set(task, new Map(idMap));
    sources.push({ dbPath: task.snapshot.readPath, spec: task.spec, sourceColumns: sourceColumnsOf(task), rejected, notLoaded, idMap });
  }

  const types = new Map<string, string>(
    (await client.query<{ c: string; t: string }>(
      `SELECT a.attname AS c, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
      [qualified(input.schema, target)],
    )).rows.map((r) => [r.c, r.t] as const),
  );
  // Columns the target fills itself are checked against their expression.
  const checks = spec0.columns.filter((c) => c.targetOnly && c.verifyEquals !== undefined && types.has(c.target ?? c.name));
  const compared = [...(columns ?? []), ...checks.map((c) => c.target ?? c.name)];
  // A column the target lacks (a table an older version created) holds nothing: its values show as changed.
  const canons = [
    ...(columns ?? []).map((c): ColumnCanon => (types.has(c) ? columnCanon(c, types.get(c) as string) : { form: 'text', expr: 'NULL::text' })),
    ...checks.map((c) => checkCanon(c.target ?? c.name, c.verifyEquals as string)),
  ];
  const keyCols = spec0.key.map((k) => spec0.columns.find((c) => c.name === k)?.target ?? k);
  // The forms columnCanon prints in, whatever the server's defaults.
  await client.query(CANONICAL_SESSION_SQL);
  // The server prints and hashes each row; only keys and hashes come back.
  const hashExpr = rowHashExpr(canons.map((x) => x.expr));
  const select = [...keyCols.map((c) => keySelectExpr(c, types.get(c) ?? 'text')), hashExpr].join(', ');
  const expectedInput = (keyed: boolean): ExpectedInput => ({
    scratchPath: keyed ? join(input.tmpDir, `verify-${target}-exp.db`) : null,
    sources, compared, comparedForms: canons.map((x) => x.form), surrogate, keyIsSurrogate, resolvedKeys: resolved.rows.map((r) => r.k), sourceTimezone: input.sourceTimezone,
  });
  const resultOf = (exp: ExpectedResult, digest: SetDigest, found: Pick<VerifyTableResult, 'missing' | 'changed' | 'extra' | 'otherRuns' | 'mismatches'>): VerifyTableResult => ({
    target,
    sources: input.tasks.map((t) => `${t.file.path} ${t.spec.source}`),
    rowsSource: exp.rows,
    rowsTarget: digest.count,
    sourceDigest: exp.sourceDigest,
    targetDigest: digest.toString(),
    accountedRejected: exp.accountedRejected,
    accountedResolved: exp.accountedResolved,
    ...found,
  });
  const small = input.tasks.reduce((n, t) => n + t.rows, 0) < WORKER_MIN_ROWS;
  const onSourceRows = (done: number): void => input.reporter.emit('table:rows', { file: 'source', table: target, done, bytes: 0 });
  const readTarget = async (onRows: (rows: (string | null)[][]) => void): Promise<void> => {
    const cursorName = quoteIdent(`am_verify_${target}`.slice(0, 60));
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await client.query(`DECLARE ${cursorName} NO SCROLL CURSOR FOR SELECT ${select} FROM ${qualified(input.schema, target)}`);
      for (;;) {
        const res = await client.query({ text: `FETCH 5000 FROM ${cursorName}`, rowMode: 'array' } as never);
        const rows = (res as { rows: (string | null)[][] }).rows;
        if (rows.length === 0) break;
        onRows(rows);
      }
      await client.query(`CLOSE ${cursorName}`);
    } finally {
      await client.query('COMMIT').catch(() => undefined);
    }
  };
  const nKey = keyCols.length;
  const rowKey = (r: readonly (string | null)[]): string => (nKey === 1 ? formatKey([r[0]]) : formatKey(r.slice(0, nKey)));
  const rowHashOf = (r: readonly (string | null)[]): string => r[nKey] as string;

  // First pass, digests only: the source converted on workers, the target
  // printed and hashed by the server at the same time, each side folded into
  // an order-independent digest with no per-row storage. Equal digests (the
  // usual case) settle the table.
  {
    const expected = expectedInSlices(small, expectedInput(false), input.tasks, onSourceRows);
    expected.catch(() => undefined);
    let targetDigest: SetDigest;
    let otherRuns = 0;
    if (resolved.rows.length + others.rows.length === 0) {
      // No row to leave out: the server sums the hashes too, and one row comes back.
      const sums = await client.query<{ n: string; sum: string }>(digestSql(hashExpr, qualified(input.schema, target)));
      const row = sums.rows[0] as { n: string; sum: string };
      targetDigest = SetDigest.fromSum(Number(row.n), BigInt(row.sum));
    } else {
      const resolvedSet = sortedHashes(resolved.rows.map((r) => r.k));
      const otherSet = sortedHashes(others.rows.map((r) => r.k));
      const digest = new SetDigest();
      await readTarget((rows) => {
        for (const r of rows) {
          const kh = keyHash(rowKey(r));
          if (hasHash(resolvedSet, kh)) continue;
          if (hasHash(otherSet, kh)) otherRuns++;
          else digest.add(rowHashOf(r));
        }
      });
      targetDigest = digest;
    }
    const exp = await expected;
    if (exp.sourceDigest === targetDigest.toString()) return resultOf(exp, targetDigest, { missing: 0, changed: 0, extra: 0, otherRuns, mismatches: [] });
  }

  // The digests differ: a second pass keyed by row, to name every key that differs.
  const expPath = join(input.tmpDir, `verify-${target}-exp.db`);
  const expected = runExpected(small, expectedInput(true), onSourceRows);
  expected.catch(() => undefined);

  const scratch = new Database(join(input.tmpDir, `verify-${target}-tgt.db`));
  scratch.pragma('journal_mode = OFF');
  scratch.pragma('synchronous = OFF');
  scratch.pragma('cache_size = -65536');
  scratch.exec(`CREATE TABLE tgt (kh INTEGER PRIMARY KEY, hash TEXT NOT NULL, key TEXT NOT NULL);
                CREATE TABLE acc (kh INTEGER PRIMARY KEY, why TEXT NOT NULL);`);
  try {
    const addAcc = scratch.prepare('INSERT OR IGNORE INTO acc (kh, why) VALUES (?, ?)');
    scratch.transaction(() => {
      for (const r of resolved.rows) addAcc.run(keyHash(r.k), 'resolved');
      for (const r of others.rows) addAcc.run(keyHash(r.k), `run ${r.run_id}`);
    })();

    // The target, read back.
    const addTgt = scratch.prepare('INSERT OR REPLACE INTO tgt (kh, hash, key) VALUES (?, ?, ?)');
    await readTarget((rows) => {
      scratch.transaction(() => {
        for (const r of rows) {
          const key = rowKey(r);
          addTgt.run(keyHash(key), rowHashOf(r), key);
        }
      })();
    });

    const exp = await expected;
    scratch.prepare('ATTACH DATABASE ? AS e').run(expPath);
    const mismatches: Mismatch[] = [];
    const note = (m: Mismatch): void => {
      if (mismatches.length < input.maxKeys) mismatches.push(m);
    };
    const targetDigest = new SetDigest();
    let changed = 0;
    const changedRows: { key: string; task: number; rowid: bigint }[] = [];
    for (const r of scratch.prepare('SELECT t.key, t.hash AS th, x.hash AS eh, x.task, x.rowid_ FROM tgt t JOIN e.exp x USING (kh)').iterate() as IterableIterator<{ key: string; th: string; eh: string; task: number | bigint; rowid_: number | bigint }>) {
      targetDigest.add(r.th);
      if (r.th !== r.eh) {
        changed++;
        if (changedRows.length < input.maxKeys) changedRows.push({ key: r.key, task: Number(r.task), rowid: BigInt(r.rowid_) });
      }
    }
    let extra = 0;
    let otherRuns = 0;
    // Listed after the missing and changed rows, which are what fails a run.
    const extras: Mismatch[] = [];
    for (const r of scratch.prepare('SELECT t.key, a.why FROM tgt t LEFT JOIN acc a USING (kh) WHERE NOT EXISTS (SELECT 1 FROM e.exp x WHERE x.kh = t.kh) ORDER BY t.key').iterate() as IterableIterator<{ key: string; why: string | null }>) {
      if (r.why === null) {
        extra++;
        if (extras.length < input.maxKeys) extras.push({ key: r.key, kind: 'extra' });
      } else if (r.why !== 'resolved') otherRuns++;
    }

    // Name the columns of changed rows: the target row once more, and its source row converted again.
    for (const c of changedRows) {
      const task = input.tasks[c.task] as Task;
      const compiled = compiledBy.get(task) as CompiledTable;
      const raw = task.snapshot.db.prepare(`SELECT rowid, ${compiled.selectColumns.map(quoteIdent).join(', ')} FROM ${quoteIdent(task.spec.source)} WHERE rowid = ?`).raw(true).get(c.rowid) as never;
      const out = compiled.convertRow(raw);
      const where = keyCols.map((k, i) => `${quoteIdent(k)}::text = $${i + 1}`).join(' AND ');
      const keyParts = keyCols.length === 1 ? [c.key] : (JSON.parse(c.key) as string[]);
      const row = (await client.query({ text: `SELECT ${canons.map((x) => x.expr).join(', ')} FROM ${qualified(input.schema, target)} WHERE ${where}`, values: keyParts, rowMode: 'array' } as never)) as { rows: (string | null)[][] };
      const values = row.rows[0] ?? [];
      const mapped = idMaps.get(task);
      if (surrogate !== null && out.reject === null) {
        const si = compiled.targetColumns.indexOf(task.spec.columns.find((x) => x.name === surrogate)?.target ?? surrogate);
        const m = si >= 0 ? mapped?.get(out.values[si] as string) : undefined;
        if (m !== undefined) out.values[si] = m;
      }
      const differing = compared.filter((col, j) => out.reject !== null || canonical(out.values[compiled.targetColumns.indexOf(col)], (canons[j] as ColumnCanon).form) !== (values[j] ?? null));
      note({ key: c.key, kind: 'changed', columns: differing });
    }

    // Missing rows are named from the source: the scratch table holds only hashes.
    const missing = Number(scratch.prepare('SELECT count(*) FROM e.exp x WHERE NOT EXISTS (SELECT 1 FROM tgt t WHERE t.kh = x.kh)').pluck().get());
    const missingRows = scratch.prepare('SELECT task, rowid_ FROM e.exp x WHERE NOT EXISTS (SELECT 1 FROM tgt t WHERE t.kh = x.kh) ORDER BY task, rowid_ LIMIT ?').all(input.maxKeys) as { task: bigint | number; rowid_: bigint | number }[];
    for (const r of missingRows) {
      const task = input.tasks[Number(r.task)] as Task;
      const compiled = compiledBy.get(task) as CompiledTable;
      const raw = task.snapshot.db.prepare(`SELECT rowid, ${compiled.selectColumns.map(quoteIdent).join(', ')} FROM ${quoteIdent(task.spec.source)} WHERE rowid = ?`).raw(true).get(BigInt(r.rowid_)) as never;
      const key = compiled.keyOf(raw);
      note({ key: keyIsSurrogate ? (idMaps.get(task)?.get(key) ?? key) : key, kind: 'missing' });
    }

    for (const m of extras) note(m);
    return resultOf(exp, targetDigest, { missing, changed, extra, otherRuns, mismatches });
  } finally {
    scratch.close();
  }
}

function sourceColumnsOf(task: Task): string[] {
  return (task.file.objects.find((o) => o.name === task.spec.source)?.columns ?? []).filter((c) => !c.hidden).map((c) => c.name);
}

/** computeExpected on a worker thread (small tables: here, a worker costs more than it saves). */
async function runExpected(small: boolean, input: ExpectedInput, onRows: (done: number) => void, stop?: AbortSignal): Promise<ExpectedResult> {
  if (small) return computeExpected(input, onRows);
  const { script, eval: isEval } = workerScript('verify-worker');
  const worker = new Worker(script, { eval: isEval, workerData: input, resourceLimits: { maxYoungGenerationSizeMb: 32 } });
  const terminate = (): void => void worker.terminate();
  stop?.addEventListener('abort', terminate, { once: true });
  try {
    return await new Promise<ExpectedResult>((resolve, reject) => {
      worker.on('message', (m: { type: 'rows'; done: number } | { type: 'done'; result: ExpectedResult } | { type: 'error'; message: string }) => {
        if (m.type === 'rows') onRows(m.done);
        else if (m.type === 'done') resolve(m.result);
        else reject(new Error(m.message));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the verification worker exited with code ${code}`)));
    });
  } finally {
    stop?.removeEventListener('abort', terminate);
    await worker.terminate();
  }
}

/**
 * Source workers in the digest pass. The server prints and hashes the target
 * rows, so the source side (read, convert, print, hash) is what verify waits
 * for; it splits by rowid range over the cores.
 */
const SOURCE_WORKERS = Math.max(1, Math.min(4, availableParallelism()));

/** computeExpected over rowid slices of every source, one worker each, the digests summed (they are order-independent). */
async function expectedInSlices(small: boolean, input: ExpectedInput, tasks: readonly Task[], onRows: (done: number) => void): Promise<ExpectedResult> {
  if (small || SOURCE_WORKERS === 1) return runExpected(small, input, onRows);
  const slices = tasks.map((task) => rowidSlices(task.snapshot.db, task.spec.source, SOURCE_WORKERS));
  const done = new Array<number>(SOURCE_WORKERS).fill(0);
  // One slice failing stops the others: their work no longer counts.
  const failed = new AbortController();
  const parts = await Promise.all(
    Array.from({ length: SOURCE_WORKERS }, (_, k) =>
      runExpected(
        false,
        { ...input, sources: input.sources.map((src, i) => ({ ...src, rowids: slices[i]?.[k] })) },
        (n) => {
          done[k] = n;
          onRows(done.reduce((a, b) => a + b, 0));
        },
        failed.signal,
      ).catch((err: unknown) => {
        failed.abort();
        throw err;
      }),
    ),
  );
  const digest = new SetDigest();
  for (const p of parts) digest.merge(p.sourceDigest);
  return {
    sourceDigest: digest.toString(),
    rows: digest.count,
    accountedRejected: parts.reduce((n, p) => n + p.accountedRejected, 0),
    accountedResolved: parts.reduce((n, p) => n + p.accountedResolved, 0),
  };
}

/** Key hashes, sorted, for membership tests without a Set of a million strings. */
function sortedHashes(keys: readonly string[]): Float64Array {
  const out = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = keyHash(keys[i] as string);
  return out.sort();
}

function hasHash(sorted: Float64Array, h: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v === h) return true;
    if (v < h) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
