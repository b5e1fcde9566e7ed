import type { EXIT } from '../errors.js';

/**
 * rollback's report: per target table, what was undone or kept (`--json` shape,
 * docs/json-report.md). A dry run (state `dry-run`) has the same shape, its
 * counts being what a rollback would do.
 */
export interface RollbackTable {
  readonly target: string;
  readonly rowsDeleted: number;
  readonly rowsRestored: number;
  /** Rows changed or deleted since the run (by the application, or by hand): refused, or with --force rolled back anyway. */
  readonly changed: number;
  readonly changedKeys: readonly string[];
  /** Rolled back by an earlier, interrupted rollback of this run. */
  readonly alreadyDone: boolean;
  /** The run created the table and it is empty now: dropped. */
  readonly dropped: boolean;
  /** The table no longer exists (dropped by hand since the run): its rows went with it, nothing was deleted. */
  readonly gone: boolean;
  /** Why a table the run created was kept (rows it did not insert remain, another table references it, the application recorded its schema, …); null for a table it did not create, or one dropped. */
  readonly keptBecause: string | null;
}

export interface RollbackReport {
  readonly command: 'rollback';
  readonly runId: string;
  readonly instance: string;
  readonly exitCode: typeof EXIT.OK | typeof EXIT.REFUSED;
  /** `dry-run`: nothing was changed; exitCode 5 when the rollback would be refused (rows changed since, without --force). */
  readonly state: 'rolled-back' | 'noop' | 'refused' | 'dry-run';
  readonly forced: boolean;
  readonly tables: readonly RollbackTable[];
  readonly filesRestored: readonly string[];
  readonly filesAlreadyInPlace: readonly string[];
  readonly seconds: number;
  readonly message: string;
}
