import { TargetError } from '../../errors.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { targetIsEmpty } from '../../target/target-state.js';
import { targetKeyHits } from '../shared/target-key-hits.js';
import type { Task } from '../shared/tasks.js';
import { compileForTarget, profileTask, type PreRunReadInput } from './profile-task.js';

/**
 * A new run refuses, before it is created, a table whose conflict policy is
 * `fail` when the target already holds one of its keys (TARGET_CONFLICT, the
 * code plan gives those rows). Left to the load, the first such batch stopped
 * the run with the tables loaded before it kept: a run half done where plan
 * had said migrate refuses. Only the tables under that policy whose target
 * table holds rows are read, through plan's converters (src/pipeline/plan/profile.ts),
 * up to the first page that meets a key.
 */
export async function refuseFailConflicts(input: PreRunReadInput): Promise<void> {
  const offsetOf = timeZoneOffsetFn(input.sourceTimezone);
  const checked: Task[] = [];
  for (const task of input.tasks) {
    const j = input.judged.get(task.spec.target);
    if (task.spec.conflict.policy !== 'fail' || j === undefined || !j.state.exists) continue;
    if (!(await targetIsEmpty(input.client, input.schema, task.spec.target))) checked.push(task);
  }
  if (checked.length === 0) return;
  input.reporter.emit('phase', { phase: 'profiling', rows: checked.reduce((n, t) => n + t.rows, 0) });
  for (const task of checked) {
    if (input.signal.aborted) return;
    const { compiled, state } = compileForTarget(task, input.judged.get(task.spec.target), offsetOf);
    const hits = targetKeyHits(input.client, input.schema, compiled.spec, state, compiled.targetColumns);
    if (hits === undefined) continue;
    await profileTask(task, compiled, input.reporter, {
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
  }
}
