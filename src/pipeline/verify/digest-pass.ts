import { targetKey } from '../../tables/target-key.js';
import { keyHash, SetDigest } from '../../tables/canonical.js';
import type { VerifyTableResult } from '../../report/verify-report.js';
import { assertSourceRead, expectedInputOf, resultOf, sourceProgress, type Comparison } from './comparison.js';
import { expectedInSlices } from './expected-workers.js';
import { readTargetRows, summedTargetDigest, summedTargetDigestApart, type TargetRow } from './target-read.js';
import type { ExpectedResult } from './verify-source.js';
import { digestPlan } from '../shared/digest-plan.js';
import { sourceColumnsOf } from '../shared/tasks.js';
import { loadedRowDigest } from '../../ledger/batches.js';
import { IdMap } from './id-map.js';
import { OTHER_RUN_XIDS } from '../../ledger/verifications.js';
import { qualified, quoteIdent } from '../../util/quote.js';

/**
 * The first pass, digests only: the source converted on workers, the target
 * printed and hashed by the server at the same time, each side folded into an
 * order-independent digest with no per-row storage. Returns the table's result
 * when the digests are equal (the usual case), null when they differ.
 */
export async function compareDigests(c: Comparison): Promise<VerifyTableResult | null> {
  const loaded = await loadedExpectation(c);
  const expected =
    loaded !== null
      ? Promise.resolve(loaded)
      : expectedInSlices(c.small, expectedInputOf(c, false), c.input.tasks, sourceProgress(c));
  expected.catch(() => undefined);
  const target = await targetDigest(c);
  const exp = await expected;
  assertSourceRead(c, exp);
  if (exp.sourceDigest !== target.digest.toString()) return null;
  return resultOf(c, exp, target.digest, {
    missing: 0,
    changed: 0,
    extra: 0,
    otherRuns: target.otherRuns,
    mismatches: [],
  });
}

/**
 * The source side from the load's own row digests, without reading the
 * source: when no row of the table was re-keyed, resolved by a policy or
 * kept out (the stage changed no row: each row landed as the load sent it),
 * every batch has a digest, each source file hashes
 * as it did when the run started, and verify's plan (converter spec, columns,
 * time zone, canonical forms, tool version) has the signature the load's had,
 * and the rows the digests cover, with the rejected ones, are as many as the
 * table holds (a load that skipped rows vouches for nothing). Then converting
 * the source again would give exactly these sums. Null otherwise: the source
 * is converted again.
 */
async function loadedExpectation(c: Comparison): Promise<ExpectedResult | null> {
  if (c.input.fromSource || c.resolvedKeys.length > 0) return null;
  if (c.sources.some((s) => IdMap.sizeOf(s.idMap) > 0 || s.notLoaded.length > 0)) return null;
  const { client, runId } = c.input;
  const sum = new SetDigest();
  let accountedRejected = 0;
  for (const [i, task] of c.input.tasks.entries()) {
    const compiled = c.compiledBy.get(task);
    if (compiled === undefined || !(await c.input.sourceUnchanged(task.file.path))) return null;
    const plan = digestPlan({
      spec: task.spec,
      sourceColumns: sourceColumnsOf(task),
      sourceTimezone: c.input.sourceTimezone,
      targetColumns: compiled.targetColumns,
      compared: c.compared,
      canons: c.canons,
      binary: c.binary,
    });
    const loaded = await loadedRowDigest(
      client,
      { runId, file: task.file.path, table: task.spec.source },
      plan.signature,
    );
    if (loaded === null) return null;
    const rejected = c.sources[i]?.rejected.length ?? 0;
    // The digests stand for the file only if the load went through every row SQLite counts in it.
    if (loaded.count + rejected !== task.rows) return null;
    sum.merge(loaded.toString());
    accountedRejected += rejected;
  }
  sourceProgress(c)(sum.count);
  return {
    from: 'load',
    sourceDigest: sum.toString(),
    rows: sum.count,
    accountedRejected,
    accountedResolved: 0,
    read: sum.count + accountedRejected,
  };
}

/**
 * The target's digest, without the rows the ledger accounts for otherwise: a
 * policy-resolved key is left out, another run's row is counted apart.
 */
async function targetDigest(c: Comparison): Promise<{ digest: SetDigest; otherRuns: number }> {
  const { client, schema, target } = c.input;
  // No row to leave out: the server sums the hashes too, and one row comes back.
  if (c.resolvedKeys.length === 0 && !c.hasOtherRuns)
    return { digest: await summedTargetDigest(client, c.hashExpr, schema, target), otherRuns: 0 };
  // The server sets those rows apart by their key.
  if (c.keyExpr !== null)
    return summedTargetDigestApart(
      client,
      { hashExpr: c.hashExpr, keyExpr: c.keyExpr, schema, target },
      c.input.runId,
      c.resolvedKeys,
    );
  const resolvedSet = sortedHashes(c.resolvedKeys);
  const otherSet = sortedHashes((await c.otherRunKeys()).map((r) => r.key));
  const rowKey = targetRowKey(c.keyCols.length);
  const nKey = c.keyCols.length;
  const otherNullKeyed = await otherRunsNullKeyRows(c);
  const digest = new SetDigest();
  let otherRuns = 0;
  await readTargetRows(client, schema, target, c.select, (rows) => {
    for (const r of rows) {
      const kh = keyHash(rowKey(r));
      if (hasHash(resolvedSet, kh)) continue;
      if (hasHash(otherSet, kh)) otherRuns++;
      else if (takeNullKeyed(otherNullKeyed, r, nKey)) otherRuns++;
      else digest.add(r[nKey] as string);
    }
  });
  return { digest, otherRuns };
}

/**
 * The row hashes of other runs' rows with a NULL in the key, each with how
 * many rows have it: such a row is recorded under its `rowid:` handle, which
 * no target row's key reads as, so it tells its run by the transaction that
 * wrote it (OTHER_RUN_XIDS). Empty when no other run loaded the table.
 */
async function otherRunsNullKeyRows(c: Comparison): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!c.hasOtherRuns) return out;
  const table = qualified(c.input.schema, c.input.target);
  // A key of NOT NULL columns (a primary key's) holds no NULL: no second scan of the table for it.
  const nullable = (
    await c.input.client.query<{ a: string }>(
      'SELECT attname AS a FROM pg_attribute WHERE attrelid = $1::regclass AND attname = ANY($2) AND NOT attnotnull',
      [table, c.keyCols],
    )
  ).rows.map((x) => x.a);
  if (nullable.length === 0) return out;
  const nullPart = nullable.map((k) => `${quoteIdent(k)} IS NULL`).join(' OR ');
  const r = await c.input.client.query<{ h: string }>(
    `SELECT ${c.hashExpr} AS h FROM ${table} AS t
      WHERE (${nullPart}) AND t.xmin::text IN (${OTHER_RUN_XIDS})`,
    [c.input.target, c.input.runId],
  );
  for (const { h } of r.rows) out.set(h, (out.get(h) ?? 0) + 1);
  return out;
}

/** Whether target row `r` (key, then hash) has a NULL in its key and is one of `rows` (otherRunsNullKeyRows), taken from them. */
function takeNullKeyed(rows: Map<string, number>, r: TargetRow, nKey: number): boolean {
  if (rows.size === 0 || !r.slice(0, nKey).includes(null)) return false;
  const h = r[nKey] as string;
  const n = rows.get(h) ?? 0;
  if (n === 0) return false;
  if (n === 1) rows.delete(h);
  else rows.set(h, n - 1);
  return true;
}

/** The ledger key text (src/tables/target-key.ts) of a target row read with the comparison's `select`: its first `nKey` values. */
export function targetRowKey(nKey: number): (r: TargetRow) => string {
  return nKey === 1 ? (r) => targetKey([r[0] ?? null]) : (r) => targetKey(r.slice(0, nKey));
}

/** Key hashes, sorted, for membership tests without a Set of a million strings. */
export function sortedHashes(keys: readonly string[]): Float64Array {
  const out = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = keyHash(keys[i] as string);
  return out.sort();
}

export function hasHash(sorted: Float64Array, h: number): boolean {
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
