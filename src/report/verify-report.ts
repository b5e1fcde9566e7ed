import type { EXIT } from '../errors.js';
import type { FileBytes } from '../source/source-hash.js';
import { loadUnfinished as stateUnfinished, type RunState } from '../ledger/runs.js';

/** verify's report: per target table, what was compared and what differs (`--json` shape, docs/json-report.md). */
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
  /**
   * Where the source digest comes from: `source`, every source row converted
   * again now; `load`, the row digests the load computed from the rows it sent,
   * taken because the source files hash as they did when the run started and
   * the conversion is the same (ARCHITECTURE.md, "What verify proves").
   */
  readonly sourceDigestFrom: 'source' | 'load';
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

export interface VerifyReport {
  readonly command: 'verify';
  readonly runId: string;
  readonly instance: string;
  readonly exitCode: typeof EXIT.OK | typeof EXIT.VERIFY_DIFFERENCES;
  readonly ok: boolean;
  readonly dataDir: string;
  /**
   * The run's state as verify found it. A load that did not finish (running,
   * interrupted, failed) has rows it never loaded, which read as missing:
   * resuming it is the next step, not looking for a cause (loadUnfinished).
   */
  readonly runState: RunState;
  /** Source files whose bytes changed since the run read them. */
  readonly changedFiles: readonly string[];
  /**
   * Every source file as this verification read it: the sha256 of its .db and
   * of its -wal's content (null: none, or empty). Where a clean verification
   * read a file whose bytes changed since the run without its rows changing
   * (SQLite's checkpoint moving the -wal's pages into the .db), archive and a
   * rerun of migrate take these bytes as the run's (src/ledger/verifications.ts).
   */
  readonly files: readonly FileBytes[];
  readonly tables: readonly VerifyTableResult[];
  readonly seconds: number;
  readonly message: string;
}

/** A run whose load stopped before its end: verify reads the rows it has not loaded yet as missing. */
export function loadUnfinished(report: Pick<VerifyReport, 'runState'>): boolean {
  return stateUnfinished(report.runState);
}
