/** The programmatic API: everything the CLI does, callable from code. */
export { loadConfig, type CommonFlags, type ResolvedConfig } from './config/load-config.js';
export { parseDsn, maskDsn, type TargetDsn } from './config/dsn.js';
export { discover, type SourceFile, type DiscoverResult } from './source/discover.js';
export { loadMappingSet, loadBuiltinMappingSet, type MappingSet } from './mapping/load.js';
export { autoTable } from './source/auto-mapping.js';
export { runPlan, type PlanOptions } from './pipeline/plan/plan.js';
export type { PlanReport, TableReport, FileReport } from './report/plan-report.js';
export type { Finding, FindingKind, FindingAction } from './findings/finding.js';
export { MigrateError, EXIT, ERROR_CODES } from './errors.js';
