/**
 * The public API: everything the CLI does, callable from code. The CLI
 * (src/cli/) imports only this module, so what it can do, a program can too.
 *
 * @example
 *   import { DEFAULTS, EXIT, loadBuiltinMappingSet, loadConfig, runMigration } from 'aragora-migrate';
 *   const config = loadConfig({ dataDir: '/app/data', databaseUrl: process.env.ARAGORA_POSTGRES_DSN, instance: 'web-1' });
 *   const report = await runMigration({ config, mappings: loadBuiltinMappingSet(), ...DEFAULTS, verify: true });
 *   if (report.exitCode !== EXIT.OK) console.error(report.message);
 */

// Configuration and defaults
export { DEFAULTS } from './defaults.js';
export { VERSION } from './version.js';
export { formatBytes } from './util/bytes.js';
export { shellWord } from './util/shell-word.js';
export { commandOptions } from './config/command-options.js';
export { loadConfig, dataDirOrigin, type CommonFlags, type ResolvedConfig } from './config/load-config.js';
export { parseDsn, maskDsn, SSL_MODES, type SslMode, type TargetDsn } from './config/dsn.js';

// Mappings
export {
  loadMappingSet,
  loadBuiltinMappingSet,
  mappingErrorFrom,
  mappingSetOrThrow,
  type MappingSet,
  type MappingProblem,
  type LoadResult,
} from './mapping/load.js';
export type { TableSpec, ColumnSpec } from './mapping/schema.js';
export { autoTable } from './source/auto-mapping.js';
export { withAutoMappings } from './pipeline/shared/auto-mappings.js';

// The commands, each a function with its options and its report
export {
  discover,
  type SourceFile,
  type DiscoverResult,
  type DiscoverOptions,
  type FileStatus,
  type Layout,
} from './source/discover.js';
export { assertDataDir } from './source/walk.js';
export { runPlan, type PlanOptions } from './pipeline/plan/plan.js';
export type { PlanReport, PlanExitCode, TableReport, FileReport } from './report/plan-report.js';
export { runMigration, type MigrateOptions } from './pipeline/migrate/migrate.js';
export { runErrorText, type MigrateReport, type MigrateTableReport, type RunError } from './report/migrate-report.js';
export { runVerify, type VerifyOptions } from './pipeline/verify/verify.js';
export {
  loadUnfinished,
  type VerifyReport,
  type VerifyTableResult,
  type Mismatch,
  type MismatchKind,
} from './report/verify-report.js';
export { runArchive, type ArchiveOptions, type ArchiveProgress } from './pipeline/archive/archive.js';
export type { ArchiveReport, ArchivedFileReport } from './report/archive-report.js';
export { runRollback, type RollbackOptions } from './pipeline/rollback/rollback.js';
export type { RollbackReport, RollbackTable } from './report/rollback-report.js';
export { runStatus, type StatusOptions } from './pipeline/status/status.js';
export type { StatusReport, RunStatus, TableStatus, TableState, ArchivedFileStatus } from './report/status-report.js';
export { runCheck, type CheckOptions } from './pipeline/check/check.js';
export type { CheckReport, CheckItem, CheckPhase, CheckStatus } from './report/check-report.js';

// Progress events and findings
export { silentReporter, type Reporter, type PipelineEventMap } from './report/events.js';
export {
  FINDING_KINDS,
  FINDING_ACTIONS,
  type Finding,
  type FindingKind,
  type FindingAction,
} from './findings/finding.js';

// Errors: every failure the tool expects is a MigrateError with a code, a hint and an exit code
export {
  MigrateError,
  ConfigError,
  MappingError,
  SourceError,
  TargetError,
  isMigrateError,
  stoppedRun,
  runStoppedBy,
  EXIT,
  ERROR_CODES,
  type ErrorCode,
  type ExitCode,
} from './errors.js';
export { connectionLost } from './target/connect.js';
export { serverFault } from './target/server-fault.js';
