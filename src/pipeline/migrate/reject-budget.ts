import { MigrateError } from '../../errors.js';
import type { Reporter } from '../../report/events.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import type { Task } from '../shared/tasks.js';
import { compileForTarget, profileTask } from './profile-task.js';
import type { JudgedTarget } from './target-tables.js';

/** The rows plan's converters reject in one source table. */
export interface TableRejects {
  readonly file: string;
  readonly table: string;
  readonly rejected: number;
}

export interface RejectBudgetInput {
  readonly tasks: readonly Task[];
  /** The target tables as judged before the run (src/pipeline/migrate/target-tables.ts): each task converts for its table as the load will. */
  readonly judged: ReadonlyMap<string, JudgedTarget>;
  readonly sourceTimezone: string;
  /** `--max-rejects`: the most rows the run may reject. */
  readonly maxRejects: number;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
}

/**
 * `migrate --max-rejects N`: every table is run through the converters plan
 * uses (src/pipeline/plan/profile.ts), for the target tables as they will be,
 * and the run is refused before it is created when more than N rows would be
 * rejected. Rows a target's foreign keys would reject as orphans are not
 * counted: that takes the parent rows loaded first. A Ctrl-C stops the count;
 * the load that follows then stops at once, and its resume counts again.
 */
export async function checkRejectBudget(input: RejectBudgetInput): Promise<void> {
  const counts = await countRejects(input);
  if (counts === null) return;
  assertRejectBudget(counts, input.maxRejects);
}

/** Per table, the rows that would be rejected; null when interrupted. */
async function countRejects(input: RejectBudgetInput): Promise<TableRejects[] | null> {
  const offsetOf = timeZoneOffsetFn(input.sourceTimezone);
  input.reporter.emit('phase', { phase: 'profiling', rows: input.tasks.reduce((n, t) => n + t.rows, 0) });
  const counts: TableRejects[] = [];
  for (const task of input.tasks) {
    if (input.signal.aborted) return null;
    const { compiled } = compileForTarget(task, input.judged.get(task.spec.target), offsetOf);
    const profile = await profileTask(task, compiled, input.reporter);
    counts.push({ file: task.file.path, table: task.spec.source, rejected: profile.rowsRejected });
  }
  return counts;
}

/** Refuses when the tables reject more than `max` rows in all, naming each table that rejects. */
export function assertRejectBudget(counts: readonly TableRejects[], max: number): void {
  const total = counts.reduce((n, c) => n + c.rejected, 0);
  if (total <= max) return;
  const lines = counts.filter((c) => c.rejected > 0).map((c) => `${c.file} ${c.table}: ${c.rejected}`);
  throw new MigrateError(
    'MIGRATE_TOO_MANY_REJECTS',
    `${total} row(s) would be rejected, more than --max-rejects ${max}; nothing was loaded:\n  ${lines.join('\n  ')}`,
  );
}
