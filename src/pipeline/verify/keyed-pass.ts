import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { CompiledTable } from '../../tables/row-converter.js';
import type { SourceValue } from '../../tables/value.js';
import { canonical, canonicalKey, keyHash, SetDigest, type ColumnCanon } from '../../tables/canonical.js';
import { qualified } from '../../util/quote.js';
import { quoteSqliteIdent } from '../../source/quote.js';
import type { Mismatch, VerifyTableResult } from '../../report/verify-report.js';
import type { Task } from '../shared/tasks.js';
import {
  assertSourceRead,
  expectedInputOf,
  expectedScratchPath,
  resultOf,
  sourceProgress,
  type Comparison,
} from './comparison.js';
import { targetRowKey } from './digest-pass.js';
import { runExpected } from './expected-workers.js';
import { readTargetRows } from './target-read.js';
import { rowidOf } from '../../source/rowid.js';
import { targetName } from '../../mapping/target-name.js';

/** A target row whose hash differs from the one its source row expects. */
interface ChangedRow {
  readonly key: string;
  /** Which source table (index into the comparison's tasks), and the row's rowid there. */
  readonly task: number;
  readonly rowid: bigint;
}

/**
 * The second pass, when the digests differ: both sides kept by key hash in
 * scratch SQLite files (bounded memory), joined to name every key that differs.
 * The expected rows go to the file computeExpected writes; the target rows, and
 * the keys the ledger accounts for otherwise, to this pass's own.
 */
export async function nameDifferences(c: Comparison): Promise<VerifyTableResult> {
  const expected = runExpected(c.small, expectedInputOf(c, true), sourceProgress(c));
  expected.catch(() => undefined);
  const scratch = openTargetScratch(join(c.input.tmpDir, `verify-${c.input.target}-tgt.db`));
  try {
    await noteAccountedKeys(scratch, c);
    await keepTargetRows(scratch, c);
    const exp = await expected;
    assertSourceRead(c, exp);
    scratch.prepare('ATTACH DATABASE ? AS e').run(expectedScratchPath(c));
    const { maxKeys } = c.input;
    const mismatches: Mismatch[] = [];
    const note = (m: Mismatch): void => {
      if (mismatches.length < maxKeys) mismatches.push(m);
    };
    const changed = changedRows(scratch, maxKeys);
    // Listed after the missing and changed rows, which are what fails a run.
    const extra = extraRows(scratch, maxKeys);
    for (const row of changed.listed) note({ key: row.key, kind: 'changed', columns: await differingColumns(c, row) });
    const missing = missingRows(scratch, c, maxKeys);
    for (const key of missing.listed) note({ key, kind: 'missing' });
    for (const m of extra.listed) note(m);
    return resultOf(c, exp, changed.targetDigest, {
      missing: missing.count,
      changed: changed.count,
      extra: extra.count,
      otherRuns: extra.otherRuns,
      mismatches,
    });
  } finally {
    scratch.close();
  }
}

/** `tgt`: the target's rows by key hash; `acc`: the keys the ledger accounts for other than by this run's load. */
function openTargetScratch(path: string): Database.Database {
  const scratch = new Database(path);
  scratch.pragma('journal_mode = OFF');
  scratch.pragma('synchronous = OFF');
  scratch.pragma('cache_size = -65536');
  scratch.exec(`CREATE TABLE tgt (kh INTEGER PRIMARY KEY, hash TEXT NOT NULL, key TEXT NOT NULL);
                CREATE TABLE acc (kh INTEGER PRIMARY KEY, why TEXT NOT NULL);`);
  return scratch;
}

/** Policy-resolved keys, and keys other runs inserted (with the run): neither counts as extra. */
async function noteAccountedKeys(scratch: Database.Database, c: Comparison): Promise<void> {
  const addAcc = scratch.prepare('INSERT OR IGNORE INTO acc (kh, why) VALUES (?, ?)');
  const otherRunKeys = await c.otherRunKeys();
  scratch.transaction(() => {
    for (const k of c.resolvedKeys) addAcc.run(keyHash(k), 'resolved');
    for (const r of otherRunKeys) addAcc.run(keyHash(r.key), `run ${r.runId}`);
  })();
}

/** The target, read back: each row's key and hash. */
async function keepTargetRows(scratch: Database.Database, c: Comparison): Promise<void> {
  const addTgt = scratch.prepare('INSERT OR REPLACE INTO tgt (kh, hash, key) VALUES (?, ?, ?)');
  const rowKey = targetRowKey(c.keyCols.length);
  const nKey = c.keyCols.length;
  await readTargetRows(c.input.client, c.input.schema, c.input.target, c.select, (rows) => {
    scratch.transaction(() => {
      for (const r of rows) {
        const key = rowKey(r);
        addTgt.run(keyHash(key), r[nKey] as string, key);
      }
    })();
  });
}

/** Rows on both sides whose hashes differ: counted, the first `maxKeys` kept; and the digest of the target rows the source expects. */
function changedRows(
  scratch: Database.Database,
  maxKeys: number,
): { count: number; listed: ChangedRow[]; targetDigest: SetDigest } {
  const targetDigest = new SetDigest();
  let count = 0;
  const listed: ChangedRow[] = [];
  const both = scratch.prepare(
    'SELECT t.key, t.hash AS th, x.hash AS eh, x.task, x.rowid_ FROM tgt t JOIN e.exp x USING (kh)',
  );
  for (const r of both.iterate() as IterableIterator<{
    key: string;
    th: string;
    eh: string;
    task: number | bigint;
    rowid_: number | bigint;
  }>) {
    targetDigest.add(r.th);
    if (r.th !== r.eh) {
      count++;
      if (listed.length < maxKeys) listed.push({ key: r.key, task: Number(r.task), rowid: BigInt(r.rowid_) });
    }
  }
  return { count, listed, targetDigest };
}

/** Target rows the source does not expect: extra when no run accounts for them, counted apart when another run wrote them. */
function extraRows(
  scratch: Database.Database,
  maxKeys: number,
): { count: number; otherRuns: number; listed: Mismatch[] } {
  let count = 0;
  let otherRuns = 0;
  const listed: Mismatch[] = [];
  const unexpected = scratch.prepare(
    'SELECT t.key, a.why FROM tgt t LEFT JOIN acc a USING (kh) WHERE NOT EXISTS (SELECT 1 FROM e.exp x WHERE x.kh = t.kh) ORDER BY t.key',
  );
  for (const r of unexpected.iterate() as IterableIterator<{ key: string; why: string | null }>) {
    if (r.why === null) {
      count++;
      if (listed.length < maxKeys) listed.push({ key: r.key, kind: 'extra' });
    } else if (r.why !== 'resolved') otherRuns++;
  }
  return { count, otherRuns, listed };
}

/** Names the columns of a changed row: the target row read once more, and its source row converted again. */
async function differingColumns(c: Comparison, row: ChangedRow): Promise<string[]> {
  const task = c.input.tasks[row.task] as Task;
  const compiled = c.compiledBy.get(task) as CompiledTable;
  const out = compiled.convertRow(sourceRow(task, compiled, row.rowid));
  const where = c.keyExprs.map((k, i) => `${k} = $${i + 1}`).join(' AND ');
  const keyParts = c.keyCols.length === 1 ? [row.key] : (JSON.parse(row.key) as string[]);
  const target = (await c.input.client.query({
    text: `SELECT ${c.canons.map((x) => x.expr).join(', ')} FROM ${qualified(c.input.schema, c.input.target)} WHERE ${where}`,
    values: keyParts,
    rowMode: 'array',
  } as never)) as { rows: (string | null)[][] };
  const values = target.rows[0] ?? [];
  const mapped = c.idMaps.get(task);
  if (c.surrogate !== null && out.reject === null) {
    const si = compiled.targetColumns.indexOf(targetName(task.spec, c.surrogate));
    const m = si >= 0 ? mapped?.get(String(out.values[si])) : undefined;
    if (m !== undefined) out.values[si] = m;
  }
  return c.compared.filter(
    (col, j) =>
      out.reject !== null
      || canonical(out.values[compiled.targetColumns.indexOf(col)], (c.canons[j] as ColumnCanon).form)
        !== (values[j] ?? null),
  );
}

/** Expected rows the target lacks: counted, the first `maxKeys` named from the source (the scratch file holds only hashes). */
function missingRows(scratch: Database.Database, c: Comparison, maxKeys: number): { count: number; listed: string[] } {
  const count = Number(
    scratch
      .prepare('SELECT count(*) FROM e.exp x WHERE NOT EXISTS (SELECT 1 FROM tgt t WHERE t.kh = x.kh)')
      .pluck()
      .get(),
  );
  const rows = scratch
    .prepare(
      'SELECT task, rowid_ FROM e.exp x WHERE NOT EXISTS (SELECT 1 FROM tgt t WHERE t.kh = x.kh) ORDER BY task, rowid_ LIMIT ?',
    )
    .all(maxKeys) as { task: bigint | number; rowid_: bigint | number }[];
  const listed = rows.map((r) => {
    const task = c.input.tasks[Number(r.task)] as Task;
    const compiled = c.compiledBy.get(task) as CompiledTable;
    const raw = sourceRow(task, compiled, BigInt(r.rowid_));
    const key = compiled.keyOf(raw, compiled.convertRow(raw).values);
    return canonicalKey(c.keyIsSurrogate ? (c.idMaps.get(task)?.get(key) ?? key) : key, c.keyForms);
  });
  return { count, listed };
}

/** One source row by rowid, as `[rowid, ...columns]` in the converters' column order. */
function sourceRow(task: Task, compiled: CompiledTable, rowid: bigint): SourceValue[] {
  const db = task.snapshot.db;
  const id = rowidOf(db, task.spec.source);
  return db
    .prepare(
      `SELECT ${id}, ${compiled.selectColumns.map(quoteSqliteIdent).join(', ')} FROM ${quoteSqliteIdent(task.spec.source)} WHERE ${id} = ?`,
    )
    .raw(true)
    .get(rowid) as SourceValue[];
}
