import type pg from 'pg';
import { DEFAULTS } from '../../defaults.js';
import { TargetError } from '../../errors.js';
import { FindingCollector } from '../../findings/collector.js';
import type { Reporter } from '../../report/events.js';
import { rawTextReader } from '../../source/read.js';
import { compileTable } from '../../tables/row-converter.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { qualified } from '../../util/quote.js';
import { profileTable } from '../plan/profile.js';
import { targetKeyHits } from '../shared/target-key-hits.js';
import { fitSpec, widened } from '../shared/target-fit.js';
import { sourceColumnsOf, type Task } from '../shared/tasks.js';
import type { JudgedTarget } from './target-tables.js';

export interface FailConflictsInput {
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
 * A new run refuses, before it is created, a table whose conflict policy is
 * `fail` when the target already holds one of its keys (TARGET_CONFLICT, the
 * code plan gives those rows). Left to the load, the first such batch stopped
 * the run with the tables loaded before it kept: a run half done where plan
 * had said migrate refuses. Only the tables under that policy whose target
 * table holds rows are read, through plan's converters (src/pipeline/plan/profile.ts),
 * up to the first page that meets a key.
 */
export async function refuseFailConflicts(input: FailConflictsInput): Promise<void> {
  const offsetOf = timeZoneOffsetFn(input.sourceTimezone);
  const checked: Task[] = [];
  for (const task of input.tasks) {
    const j = input.judged.get(task.spec.target);
    if (task.spec.conflict.policy !== 'fail' || j === undefined || !j.state.exists) continue;
    if (await holdsRows(input.client, input.schema, task.spec.target)) checked.push(task);
  }
  if (checked.length === 0) return;
  input.reporter.emit('phase', { phase: 'profiling', rows: checked.reduce((n, t) => n + t.rows, 0) });
  for (const task of checked) {
    if (input.signal.aborted) return;
    const j = input.judged.get(task.spec.target) as JudgedTarget;
    const state = widened(j.state, j.widen);
    const spec = fitSpec(task.spec, state);
    const compiled = compileTable(spec, sourceColumnsOf(task), {
      offsetOf,
      fetchRaw: rawTextReader(task.snapshot.db, task.spec.source),
    });
    const hits = targetKeyHits(input.client, input.schema, spec, state, compiled.targetColumns);
    if (hits === undefined) continue;
    const at = { file: task.file.path, table: task.spec.source };
    input.reporter.emit('table:start', { ...at, rows: task.rows });
    const profile = await profileTable(task.snapshot.db, compiled, {
      file: task.file.path,
      pageRows: 5000,
      pageBytes: DEFAULTS.batchBytes,
      reporter: input.reporter,
      findings: new FindingCollector(),
      everyRow: true,
      onPage: async (page) => {
        const met = await hits(page);
        if (met.length === 0) return;
        throw new TargetError(
          'TARGET_CONFLICT',
          `${task.file.path} ${task.spec.source}: rows whose keys ${task.spec.target} already holds, and its conflict policy is fail (the first: ${met
            .slice(0, 5)
            .map((i) => page.keys[i] ?? '')
            .join(', ')}); nothing was loaded`,
          { table: task.spec.target },
        );
      },
    });
    input.reporter.emit('table:done', { ...at, rows: profile.rowsRead, ms: profile.ms });
  }
}

async function holdsRows(client: pg.Client, schema: string, table: string): Promise<boolean> {
  const r = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${qualified(schema, table)}) AS any`);
  return r.rows[0]?.any === true;
}
