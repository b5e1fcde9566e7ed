import type { RunState } from '../ledger/runs.js';
import type { EXIT } from '../errors.js';
/** A table's state in status: what its load reached, or rolled back since. */
export type TableState = 'pending' | 'loading' | 'loaded' | 'failed' | 'rolled-back';

export interface TableStatus {
  readonly source: { readonly file: string; readonly table: string };
  readonly target: string;
  /**
   * The load's state (`pending`, `loading`, `loaded`, `failed`), or
   * `rolled-back` once a rollback of the run finished the target table.
   */
  readonly state: TableState;
  readonly rowsSource: number;
  readonly rowsRead: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly rowsMerged: number;
  readonly rowsRepaired: number;
}

/** status's report: what the ledger says about each run (`--json` shape, docs/json-report.md). */
export interface ArchivedFileStatus {
  readonly path: string;
  readonly backupDir: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly archivedAt: string;
  /** Set when rollback moved the file back. */
  readonly restoredAt: string | null;
}

export interface RunStatus {
  readonly runId: string;
  readonly instance: string;
  readonly host: string;
  readonly dataDir: string;
  readonly schema: string;
  readonly state: RunState;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly exitCode: number | null;
  /** The error a failed run stopped on; null otherwise. */
  readonly error: string | null;
  /** The latest verification found no difference (or, without one recorded, the run is marked verified). */
  readonly verified: boolean;
  readonly verifications: readonly { readonly verifiedAt: string; readonly ok: boolean }[];
  /** Some of its files are in a backup dir and not restored. */
  readonly archived: boolean;
  readonly archives: readonly ArchivedFileStatus[];
  readonly rolledBack: boolean;
  readonly tables: readonly TableStatus[];
}

export interface StatusReport {
  readonly command: 'status';
  /** The DSN with its password masked. */
  readonly target: string;
  readonly exitCode: typeof EXIT.OK;
  /** Whether the ledger (schema aragora_migrate) exists: false means nothing was ever migrated there. */
  readonly ledger: boolean;
  readonly runs: readonly RunStatus[];
  readonly message: string;
}
