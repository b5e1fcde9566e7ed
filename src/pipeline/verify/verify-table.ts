import type { VerifyTableResult } from '../../report/verify-report.js';
import { prepareComparison, type VerifyTableInput } from './comparison.js';
import { compareDigests } from './digest-pass.js';
import { nameDifferences } from './keyed-pass.js';

export type { VerifyTableInput } from './comparison.js';

/**
 * Verifies one target table against the current source, independently of
 * what was recorded at load time: every source row goes through the same
 * converters again, the target is read back from PostgreSQL, both in one
 * canonical form. A first pass compares order-independent digests in constant
 * memory; only when they differ does a second pass keep the rows of both sides
 * by key in scratch SQLite files (bounded memory) to name each difference.
 */
export async function verifyTable(input: VerifyTableInput): Promise<VerifyTableResult> {
  // What the ledger accounts for, how each source converts, how the target prints.
  const comparison = await prepareComparison(input);
  const equal = await compareDigests(comparison);
  if (equal !== null) return equal;
  return nameDifferences(comparison);
}
