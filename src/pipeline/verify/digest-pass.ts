import { formatKey } from '../../util/keys.js';
import { keyHash, SetDigest } from '../../tables/canonical.js';
import type { VerifyTableResult } from '../../report/verify-report.js';
import { expectedInputOf, resultOf, sourceProgress, type Comparison } from './comparison.js';
import { expectedInSlices } from './expected-workers.js';
import { readTargetRows, summedTargetDigest, type TargetRow } from './target-read.js';

/**
 * The first pass, digests only: the source converted on workers, the target
 * printed and hashed by the server at the same time, each side folded into an
 * order-independent digest with no per-row storage. Returns the table's result
 * when the digests are equal (the usual case), null when they differ.
 */
export async function compareDigests(c: Comparison): Promise<VerifyTableResult | null> {
  const expected = expectedInSlices(c.small, expectedInputOf(c, false), c.input.tasks, sourceProgress(c));
  expected.catch(() => undefined);
  const target = await targetDigest(c);
  const exp = await expected;
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
 * The target's digest, without the rows the ledger accounts for otherwise: a
 * policy-resolved key is left out, another run's row is counted apart.
 */
async function targetDigest(c: Comparison): Promise<{ digest: SetDigest; otherRuns: number }> {
  const { client, schema, target } = c.input;
  // No row to leave out: the server sums the hashes too, and one row comes back.
  if (c.resolvedKeys.length + c.otherRunKeys.length === 0)
    return { digest: await summedTargetDigest(client, c.hashExpr, schema, target), otherRuns: 0 };
  const resolvedSet = sortedHashes(c.resolvedKeys);
  const otherSet = sortedHashes(c.otherRunKeys.map((r) => r.key));
  const rowKey = targetRowKey(c.keyCols.length);
  const nKey = c.keyCols.length;
  const digest = new SetDigest();
  let otherRuns = 0;
  await readTargetRows(client, schema, target, c.select, (rows) => {
    for (const r of rows) {
      const kh = keyHash(rowKey(r));
      if (hasHash(resolvedSet, kh)) continue;
      if (hasHash(otherSet, kh)) otherRuns++;
      else digest.add(r[nKey] as string);
    }
  });
  return { digest, otherRuns };
}

/** The ledger key text (src/util/keys.ts formatKey) of a target row read with the comparison's `select`: its first `nKey` values. */
export function targetRowKey(nKey: number): (r: TargetRow) => string {
  return nKey === 1 ? (r) => formatKey([r[0]]) : (r) => formatKey(r.slice(0, nKey));
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
