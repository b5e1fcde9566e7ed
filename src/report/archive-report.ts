import type { EXIT } from '../errors.js';

/** archive's report: the files moved to the backup dir (`--json` shape, docs/json-report.md). */
export interface ArchivedFileReport {
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** `archived` by this command, or `already-archived` by an earlier (perhaps killed) one. */
  readonly outcome: 'archived' | 'already-archived';
}

export interface ArchiveReport {
  readonly command: 'archive';
  readonly runId: string;
  readonly instance: string;
  readonly exitCode: typeof EXIT.OK;
  /** `noop`: the run was archived already, nothing moved. */
  readonly state: 'archived' | 'noop';
  readonly dataDir: string;
  readonly backupDir: string;
  readonly manifest: string;
  readonly files: readonly ArchivedFileReport[];
  readonly bytes: number;
  readonly seconds: number;
  readonly message: string;
}
