import type { FileReport, TableReport } from './plan-report.js';
import type { ExitCode } from '../errors.js';
import type { Finding } from '../findings/finding.js';
import type { VerifyReport } from './verify-report.js';

/** Where a run's time went, phase by phase, in the order the phases ran. */
export interface PhaseTiming {
  readonly phase:
    'snapshot and hashing' | 'target tables' | 'load' | 'indexes, sequences, foreign keys' | 'reject files' | 'verify';
  readonly seconds: number;
}

export interface MigrateTableReport extends TableReport {
  readonly seconds: number;
}

/** `migrate --json` (docs/json-report.md): the plan report's contract plus what an operator needs to resume or undo. */
export interface MigrateReport {
  readonly command: 'migrate';
  readonly runId: string;
  readonly instance: string;
  readonly exitCode: ExitCode;
  /** loaded, interrupted, failed; `noop` when an earlier run already did the work. */
  readonly state: 'loaded' | 'interrupted' | 'failed' | 'noop';
  readonly resumed: boolean;
  readonly dataDir: string;
  readonly target: { readonly dsn: string; readonly schema: string };
  readonly tables: readonly MigrateTableReport[];
  readonly findings: readonly Finding[];
  readonly files: readonly FileReport[];
  readonly rejectFiles: readonly string[];
  /** The absolute folder this run's reject files go to (one folder per run in it), said even when there are none. */
  readonly rejectDir: string;
  readonly seconds: number;
  /** The run's phases with their seconds; `seconds` is the whole command. */
  readonly phases: readonly PhaseTiming[];
  /** One line for a person: what happened and what to do next. */
  readonly message: string;
  /** The verification run at the end (null when skipped, interrupted or failed). */
  readonly verification?: VerifyReport | null;
  /** What a failed run stopped on (state `failed`); null otherwise. */
  readonly error?: RunError | null;
}

/** The error a run stopped on: its code and hint where it has them (docs/errors.md), null for an unexpected one. */
export interface RunError {
  readonly code: string | null;
  readonly message: string;
  readonly hint: string | null;
}

/** A run's error on one line: `CODE: message`. */
export function runErrorText(e: RunError): string {
  return e.code === null ? e.message : `${e.code}: ${e.message}`;
}
