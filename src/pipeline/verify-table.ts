import Database from 'better-sqlite3';
import { join } from 'node:path';
import type pg from 'pg';
import type { TableSpec, TargetType } from '../mapping/schema.js';
import { compileTable, type CompiledTable } from '../tables/row-converter.js';
import type { OffsetFn } from '../tables/timestamp.js';
import type { TargetValue } from '../tables/value.js';
import { formatKey } from '../util/keys.js';
import { qualified, quoteIdent } from '../util/quote.js';
import { canonical, keyHash, rowHash, SetDigest, targetSelectExpr } from './canonical.js';
import type { Reporter } from './events.js';
import { rawTextReader, readPages } from './read.js';
import type { Task } from './tasks.js';

export type MismatchKind = 'missing' | 'extra' | 'changed';

export interface Mismatch {
  readonly key: string;
  readonly kind: MismatchKind;
  /** For `changed`: the columns that differ. */
  readonly columns?: readonly string[];
}

export interface VerifyTableResult {
  readonly target: string;
  readonly sources: readonly string[];
  /** Rows the run should have written, recomputed from the source now. */
  readonly rowsSource: number;
  /** Target rows with those keys. */
  readonly rowsTarget: number;
  readonly sourceDigest: string;
  readonly targetDigest: string;
  readonly missing: number;
  readonly changed: number;
  /** Rows in the target that no run wrote (the application, or a hand edit). */
  readonly extra: number;
  /** Rejected at load time: in the reject file, not expected in the target. */
  readonly accountedRejected: number;
  /** Keys resolved by a conflict policy (any run): compared with the ledger, not the source. */
  readonly accountedResolved: number;
  /** Target rows that other runs (other instances) wrote. */
  readonly otherRuns: number;
  readonly mismatches: readonly Mismatch[];
}

export interface VerifyTableInput {
  readonly client: pg.Client;
  readonly runId: string;
  readonly schema: string;
  readonly target: string;
  readonly tasks: readonly Task[];
  readonly offsetOf: OffsetFn;
  readonly maxKeys: number;
  readonly tmpDir: string;
  readonly reporter: Reporter;
}

/**
 * Verifies one target table against the current source, independently of
 * what was recorded at load time: every source row goes through the same
 * converters again, the target is read back from PostgreSQL, both in one
 * canonical form. Expected rows are kept in a scratch SQLite file, not in
 * memory, so a table of any size verifies in bounded memory.
 */
export async function verifyTable(input: VerifyTableInput): Promise<VerifyTableResult> {
  const { client, runId, target } = input;
  const scratch = new Database(join(input.tmpDir, `verify-${target}.db`));
  scratch.pragma('journal_mode = OFF');
  scratch.pragma('synchronous = OFF');
  // Keys arrive in source order, not key order: a cache this size keeps the
  // random B-tree inserts and lookups of a million-row table off the disk,
  // and still bounds memory.
  scratch.pragma('cache_size = -65536');
  scratch.exec(`CREATE TABLE exp (kh INTEGER PRIMARY KEY, hash TEXT NOT NULL, task INTEGER NOT NULL, rowid_ INTEGER NOT NULL, seen INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE acc (kh INTEGER PRIMARY KEY, why TEXT NOT NULL);`);
  try {
    const spec0 = (input.tasks[0] as Task).spec;
    const surrogate = spec0.surrogateKey ?? null;
    const keyIsSurrogate = surrogate !== null && spec0.key.length === 1 && spec0.key[0] === surrogate;

    // What the ledger accounts for: keys any run resolved by policy, and keys other runs loaded.
    const addAcc = scratch.prepare('INSERT OR IGNORE INTO acc (kh, why) VALUES (?, ?)');
    // A key whose target row a policy changed (overwrite, newest, merge) is
    // checked against the ledger, not the source; one where the existing row was
    // kept still holds the row that was loaded first, and is compared.
    const resolved = await client.query<{ k: string }>(
      "SELECT DISTINCT row_key AS k FROM aragora_migrate.conflicts WHERE target_table = $1 AND outcome NOT LIKE 'kept-existing%'",
      [target],
    );
    const notLoaded = new Set(
      (await client.query<{ f: string; r: string }>('SELECT source_file AS f, source_rowid::text AS r FROM aragora_migrate.conflicts WHERE run_id = $1 AND target_table = $2', [runId, target])).rows.map((x) => `${x.f}\0${x.r}`),
    );
    const others = await client.query<{ k: string; run_id: string }>(
      `SELECT DISTINCT COALESCE(m.target_id::text, k.k) AS k, b.run_id
         FROM aragora_migrate.batches b
         JOIN aragora_migrate.run_tables t USING (run_id, source_file, source_table)
         CROSS JOIN LATERAL unnest(b.loaded_keys) AS k(k)
         LEFT JOIN aragora_migrate.id_map m ON $3 AND m.run_id = b.run_id AND m.source_file = b.source_file AND m.source_table = b.source_table AND m.source_id::text = k.k
        WHERE t.target_table = $1 AND b.run_id <> $2`,
      [target, runId, keyIsSurrogate],
    );
    const resolvedKeys = new Set(resolved.rows.map((r) => r.k));
    scratch.transaction(() => {
      for (const r of resolved.rows) addAcc.run(keyHash(r.k), 'resolved');
      for (const r of others.rows) addAcc.run(keyHash(r.k), `run ${r.run_id}`);
    })();
    const isAccounted = scratch.prepare('SELECT why FROM acc WHERE kh = ?').pluck();

    // Expected rows, from the source, now.
    const addExp = scratch.prepare('INSERT OR REPLACE INTO exp (kh, hash, task, rowid_) VALUES (?, ?, ?, ?)');
    const sourceDigest = new SetDigest();
    let accountedRejected = 0;
    let accountedResolved = 0;
    const compiledBy = new Map<Task, CompiledTable>();
    let columns: readonly string[] | null = null;
    for (const task of input.tasks) {
      const obj = task.file.objects.find((o) => o.name === task.spec.source);
      const compiled = compileTable(task.spec, (obj?.columns ?? []).filter((c) => !c.hidden).map((c) => c.name), { offsetOf: input.offsetOf, fetchRaw: rawTextReader(task.snapshot.db, task.spec.source) });
      compiledBy.set(task, compiled);
      columns = columns === null ? compiled.targetColumns : columns.filter((c) => compiled.targetColumns.includes(c));
    }
    const compared = columns ?? [];
    const typeOf = (spec: TableSpec, col: string): TargetType => spec.columns.find((c) => (c.target ?? c.name) === col)?.type ?? 'text';
    const comparedTypes = compared.map((c) => typeOf(spec0, c));
    const idMaps = new Map<Task, ReadonlyMap<string, string>>();

    for (const [taskNo, task] of input.tasks.entries()) {
      const compiled = compiledBy.get(task) as CompiledTable;
      const rejected = new Set(
        (await client.query<{ r: string }>('SELECT source_rowid::text AS r FROM aragora_migrate.rejects WHERE run_id = $1 AND source_file = $2 AND source_table = $3', [runId, task.file.path, task.spec.source])).rows.map((x) => x.r),
      );
      const idMap: ReadonlyMap<string, string> = new Map(
        (await client.query<{ s: string; t: string }>('SELECT source_id::text AS s, target_id::text AS t FROM aragora_migrate.id_map WHERE run_id = $1 AND source_file = $2 AND source_table = $3', [runId, task.file.path, task.spec.source])).rows.map((x) => [x.s, x.t] as const),
      );
      idMaps.set(task, idMap);
      const idx = compared.map((c) => compiled.targetColumns.indexOf(c));
      const surrogateIdx = surrogate === null ? -1 : compiled.targetColumns.indexOf(task.spec.columns.find((c) => c.name === surrogate)?.target ?? surrogate);
      let done = 0;
      input.reporter.emit('table:start', { file: task.file.path, table: task.spec.source, rows: task.rows });
      for (const page of readPages(task.snapshot.db, task.spec.source, compiled.selectColumns, { maxRows: 5000, maxBytes: 16 * 1024 * 1024 })) {
        scratch.transaction(() => {
          for (const raw of page.rows) {
            if (rejected.has(String(raw[0]))) {
              accountedRejected++;
              continue;
            }
            if (notLoaded.has(`${task.file.path}\0${String(raw[0])}`)) {
              accountedResolved++;
              continue;
            }
            const out = compiled.convertRow(raw);
            const values: TargetValue[] = out.reject === null ? out.values : [];
            if (surrogateIdx >= 0 && out.reject === null) {
              const mapped = idMap.get(values[surrogateIdx] as string);
              if (mapped !== undefined) values[surrogateIdx] = mapped;
            }
            let key = compiled.keyOf(raw);
            if (keyIsSurrogate) key = idMap.get(key) ?? key;
            if (resolvedKeys.has(key)) {
              accountedResolved++;
              continue;
            }
            // A row that no longer converts (changed in SQLite after the run) expects nothing it can match.
            const hash = out.reject === null ? rowHash(idx.map((i, j) => canonical(values[i], comparedTypes[j] as TargetType))) : `unconvertible:${out.reject.kind}`;
            sourceDigest.add(out.reject === null ? hash : '0000000000000000');
            addExp.run(keyHash(key), hash, taskNo, raw[0]);
          }
        })();
        done += page.rows.length;
        input.reporter.emit('table:rows', { file: task.file.path, table: task.spec.source, done, bytes: page.bytes });
      }
    }

    // The target, read back.
    const t0 = (input.tasks[0] as Task).spec;
    const types = new Map<string, string>(
      (await client.query<{ c: string; t: string }>(
        `SELECT a.attname AS c, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a
          WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
        [qualified(input.schema, target)],
      )).rows.map((r) => [r.c, r.t] as const),
    );
    const keyCols = t0.key.map((k) => t0.columns.find((c) => c.name === k)?.target ?? k);
    const select = [...keyCols, ...compared].map((c) => targetSelectExpr(c, types.get(c) ?? 'text')).join(', ');
    const seeExp = scratch.prepare('UPDATE exp SET seen = 1 WHERE kh = ? RETURNING hash, task, rowid_');
    const targetDigest = new SetDigest();
    const mismatches: Mismatch[] = [];
    let changed = 0;
    let extra = 0;
    let otherRuns = 0;
    const note = (m: Mismatch): void => {
      if (mismatches.length < input.maxKeys) mismatches.push(m);
    };
    const changedRows: { key: string; task: number; rowid: bigint; values: (string | null)[] }[] = [];
    const cursorName = quoteIdent(`am_verify_${target}`.slice(0, 60));
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await client.query(`DECLARE ${cursorName} NO SCROLL CURSOR FOR SELECT ${select} FROM ${qualified(input.schema, target)}`);
      for (;;) {
        const res = await client.query<Record<string, string | null>>({ text: `FETCH 5000 FROM ${cursorName}`, rowMode: 'array' } as never);
        const rows = res.rows as unknown as (string | null)[][];
        if (rows.length === 0) break;
        scratch.transaction(() => {
          for (const r of rows) {
            const key = formatKey(r.slice(0, keyCols.length));
            const values = r.slice(keyCols.length);
            const kh = keyHash(key);
            const exp = seeExp.get(kh) as { hash: string; task: bigint | number; rowid_: bigint | number } | undefined;
            if (exp === undefined) {
              const why = isAccounted.get(kh) as string | undefined;
              if (why === undefined) {
                extra++;
                note({ key, kind: 'extra' });
              } else if (why !== 'resolved') otherRuns++;
              continue;
            }
            const hash = rowHash(values.map((v, j) => canonical(v, comparedTypes[j] as TargetType)));
            targetDigest.add(hash);
            if (hash !== exp.hash) {
              changed++;
              if (changedRows.length < input.maxKeys) changedRows.push({ key, task: Number(exp.task), rowid: BigInt(exp.rowid_), values });
            }
          }
        })();
      }
      await client.query(`CLOSE ${cursorName}`);
    } finally {
      await client.query('COMMIT').catch(() => undefined);
    }

    // Name the columns of changed rows by converting their source rows once more.
    for (const c of changedRows) {
      const task = input.tasks[c.task] as Task;
      const compiled = compiledBy.get(task) as CompiledTable;
      const raw = task.snapshot.db.prepare(`SELECT rowid, ${compiled.selectColumns.map(quoteIdent).join(', ')} FROM ${quoteIdent(task.spec.source)} WHERE rowid = ?`).raw(true).get(c.rowid) as never;
      const out = compiled.convertRow(raw);
      const differing = compared.filter((col, j) => out.reject !== null || canonical(out.values[compiled.targetColumns.indexOf(col)], typeOf(task.spec, col)) !== canonical(c.values[j] ?? null, typeOf(task.spec, col)));
      // The surrogate may have been re-assigned: that is not a change.
      note({ key: c.key, kind: 'changed', columns: surrogate === null ? differing : differing.filter((d) => d !== surrogate || out.reject !== null) });
    }
    // Missing rows are named from the source: the scratch table holds only hashes.
    const missing = Number(scratch.prepare('SELECT count(*) FROM exp WHERE seen = 0').pluck().get());
    const missingRows = scratch.prepare('SELECT task, rowid_ FROM exp WHERE seen = 0 ORDER BY task, rowid_ LIMIT ?').all(input.maxKeys) as { task: bigint | number; rowid_: bigint | number }[];
    for (const r of missingRows) {
      const task = input.tasks[Number(r.task)] as Task;
      const compiled = compiledBy.get(task) as CompiledTable;
      const raw = task.snapshot.db.prepare(`SELECT rowid, ${compiled.selectColumns.map(quoteIdent).join(', ')} FROM ${quoteIdent(task.spec.source)} WHERE rowid = ?`).raw(true).get(BigInt(r.rowid_)) as never;
      const key = compiled.keyOf(raw);
      note({ key: keyIsSurrogate ? (idMaps.get(task)?.get(key) ?? key) : key, kind: 'missing' });
    }

    return {
      target,
      sources: input.tasks.map((t) => `${t.file.path} ${t.spec.source}`),
      rowsSource: sourceDigest.count,
      rowsTarget: targetDigest.count,
      sourceDigest: sourceDigest.toString(),
      targetDigest: targetDigest.toString(),
      missing,
      changed,
      extra,
      accountedRejected,
      accountedResolved,
      otherRuns,
      mismatches,
    };
  } finally {
    scratch.close();
  }
}
