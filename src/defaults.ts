/**
 * The defaults every entry point shares: the CLI's flag defaults and the
 * library's fallbacks read these, so a number lives in one place.
 */
export const DEFAULTS = {
  /** Tables loaded at once (migrate --jobs). */
  jobs: 2,
  /** Rows per batch; each batch is one transaction with its checkpoint (migrate --batch-rows). */
  batchRows: 2000,
  /** A batch also ends at this many bytes of COPY text, so a table of large rows stays within memory. */
  batchBytes: 32 * 1024 * 1024,
  /** Seconds migrate waits for another run's lock (migrate --lock-timeout). */
  lockTimeoutSeconds: 30,
  /** Seconds rollback waits for a running migrate (rollback --lock-timeout). */
  rollbackLockTimeoutSeconds: 60,
  /** Differing or changed keys listed per table (--max-keys). */
  maxKeys: 20,
  /** Where reject files go, one folder per run (migrate --reject-dir). */
  rejectDir: 'aragora-migrate-rejects',
  /** Target schema (--schema). */
  schema: 'public',
  /**
   * Milliseconds check waits per HTTP request and Redis command (check --timeout).
   * Aragora's /readyz/dependencies asks every dependency in turn and can take
   * 2–5 s on its own, so the wait is twice the slowest it should be.
   */
  checkTimeoutMs: 10_000,
  /** Time zone of naive SQLite timestamps (--source-timezone). */
  sourceTimezone: 'UTC',
} as const;
