import { TargetError } from '../../errors.js';
import type { CompiledTable } from '../../tables/row-converter.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { targetIsEmpty } from '../../target/target-state.js';
import { SameKeys } from '../plan/same-keys.js';
import { targetKeyHits } from '../shared/target-key-hits.js';
import type { Task } from '../shared/tasks.js';
import { compileForTarget, profileTask, type PreRunReadInput } from './profile-task.js';

type KeyHits = NonNullable<ReturnType<typeof targetKeyHits>>;

/**
 * A new run refuses, before it is created, a table whose conflict policy is
 * `fail` when one of its keys is taken already (TARGET_CONFLICT, the code plan
 * gives those rows): by the target, or by an earlier row of the same table
 * once converted (two spellings of one timestamp, a NUL and U+FFFD, a JSON key
 * jsonb prints alike; src/pipeline/plan/same-keys.ts). Left to the load, the
 * first such batch stopped the run with the batches and tables loaded before
 * it kept: a run half done where plan had said migrate refuses. Only the
 * tables under that policy whose target holds rows, or whose key can repeat
 * once converted, are read, through plan's converters
 * (src/pipeline/plan/profile.ts), up to the first page that meets a key.
 */
export async function refuseFailConflicts(input: PreRunReadInput): Promise<void> {
  const offsetOf = timeZoneOffsetFn(input.sourceTimezone);
  const checks: { task: Task; compiled: CompiledTable; hits: KeyHits | undefined; sameKeys: SameKeys | null }[] = [];
  for (const task of input.tasks) {
    if (task.spec.conflict.policy !== 'fail') continue;
    const j = input.judged.get(task.spec.target);
    const filled =
      j !== undefined && j.state.exists && !(await targetIsEmpty(input.client, input.schema, task.spec.target));
    const { compiled, state } = compileForTarget(task, j, offsetOf);
    const hits = filled
      ? targetKeyHits(input.client, input.schema, compiled.spec, state, compiled.targetColumns)
      : undefined;
    const obj = task.file.objects.find((o) => o.name === task.spec.source);
    const sameKeys = obj === undefined ? null : SameKeys.of(task.snapshot.db, obj, compiled);
    if (hits !== undefined || sameKeys !== null) checks.push({ task, compiled, hits, sameKeys });
  }
  if (checks.length === 0) return;
  input.reporter.emit('phase', { phase: 'profiling', rows: checks.reduce((n, c) => n + c.task.rows, 0) });
  try {
    for (const { task, compiled, hits, sameKeys } of checks) {
      if (input.signal.aborted) return;
      const refuse = (what: string, keys: readonly string[]): never => {
        throw new TargetError(
          'TARGET_CONFLICT',
          `${task.file.path} ${task.spec.source}: ${what}, and its conflict policy is fail (the first: ${keys.slice(0, 5).join(', ')}); nothing was loaded`,
          { table: task.spec.target },
        );
      };
      await profileTask(task, compiled, input.reporter, {
        everyRow: hits !== undefined,
        sameKeys,
        onPage: async (page) => {
          if (page.repeats.length > 0)
            refuse(
              'rows whose key an earlier row of the table has once converted',
              page.repeats.map((i) => page.keys[i] ?? ''),
            );
          const met = hits === undefined ? [] : await hits(page);
          if (met.length > 0)
            refuse(
              `rows whose keys ${task.spec.target} already holds`,
              met.map((i) => page.keys[i] ?? ''),
            );
        },
      });
    }
  } finally {
    for (const c of checks) c.sameKeys?.close();
  }
}
