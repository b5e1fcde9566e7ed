import type pg from 'pg';
import { DEFAULTS } from '../../defaults.js';
import { FindingCollector } from '../../findings/collector.js';
import type { Reporter } from '../../report/events.js';
import { rawTextReader } from '../../source/read.js';
import { compileTable, type CompiledTable } from '../../tables/row-converter.js';
import type { OffsetFn } from '../../tables/timestamp.js';
import { MISSING_TABLE, type TargetTableState } from '../../target/target-state.js';
import { profileTable, type ProfileOptions, type TableProfile } from '../plan/profile.js';
import { fitSpec, widened } from '../shared/target-fit.js';
import { sourceColumnsOf, type Task } from '../shared/tasks.js';
import type { JudgedTarget } from './target-tables.js';

/** What migrate's checks that read the source before a new run is created take. */
export interface PreRunReadInput {
  readonly client: pg.Client;
  readonly schema: string;
  readonly tasks: readonly Task[];
  /** The target tables as judged before the run (src/pipeline/migrate/target-tables.ts). */
  readonly judged: ReadonlyMap<string, JudgedTarget>;
  readonly sourceTimezone: string;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
}

/**
 * A source table's converters for its target as judged before the run
 * (src/pipeline/migrate/target-tables.ts), as the load will convert it, with
 * the target's state they were fitted to.
 */
export function compileForTarget(
  task: Task,
  judged: JudgedTarget | undefined,
  offsetOf: OffsetFn,
): { readonly compiled: CompiledTable; readonly state: TargetTableState } {
  const state = judged === undefined ? MISSING_TABLE : widened(judged.state, judged.widen);
  const compiled = compileTable(fitSpec(task.spec, state), sourceColumnsOf(task), {
    offsetOf,
    fetchRaw: rawTextReader(task.snapshot.db, task.spec.source),
  });
  return { compiled, state };
}

/**
 * Every row of a source table through plan's converters
 * (src/pipeline/plan/profile.ts), with its progress: the way migrate's checks
 * before a run read the source (--max-rejects, src/pipeline/migrate/reject-budget.ts;
 * the fail policy's keys, src/pipeline/migrate/fail-conflicts.ts). Only counts and
 * `onPage` matter there: the findings are plan's to report.
 */
export async function profileTask(
  task: Task,
  compiled: CompiledTable,
  reporter: Reporter,
  pages: Pick<ProfileOptions, 'everyRow' | 'onPage' | 'sameKeys'> = {},
): Promise<TableProfile> {
  const at = { file: task.file.path, table: task.spec.source };
  reporter.emit('table:start', { ...at, rows: task.rows });
  const profile = await profileTable(task.snapshot.db, compiled, {
    file: task.file.path,
    pageRows: 5000,
    pageBytes: DEFAULTS.batchBytes,
    reporter,
    findings: new FindingCollector(),
    ...pages,
  });
  reporter.emit('table:done', { ...at, rows: profile.rowsRead, ms: profile.ms });
  return profile;
}
