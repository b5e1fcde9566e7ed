import { TargetError } from '../../errors.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { checkBreaks, writtenRows } from '../shared/check-breaks.js';
import { targetKeyHits } from '../shared/target-key-hits.js';
import { uniqueHits } from '../shared/unique-hits.js';
import { compileForTarget, profileTask, type PreRunReadInput } from './profile-task.js';

/**
 * A new run refuses, before it is created, source rows that a constraint of
 * an existing target table would refuse (TARGET_CONSTRAINT, the code plan
 * gives them): a CHECK they break (src/pipeline/shared/check-breaks.ts), or a
 * unique index whose values another row of the target holds
 * (src/pipeline/shared/unique-hits.ts). Left to the load, the first such row
 * stopped the run at its batch, the tables and batches before it kept: a run
 * half done where plan had said GO. Only the tables whose target declares
 * such a constraint on the columns the run writes are read, through plan's
 * converters, up to the first page that meets one.
 */
export async function refuseConstraintBreaks(input: PreRunReadInput): Promise<void> {
  const offsetOf = timeZoneOffsetFn(input.sourceTimezone);
  const checked = input.tasks
    .map((task) => {
      const judged = input.judged.get(task.spec.target);
      if (judged === undefined || !judged.state.exists) return null;
      const { compiled, state } = compileForTarget(task, judged, offsetOf);
      const breaks = checkBreaks(input.client, task.spec.target, state, compiled.targetColumns);
      const meets = uniqueHits(input.client, input.schema, compiled.spec, state, compiled.targetColumns);
      return breaks === undefined && meets === undefined ? null : { task, compiled, state, breaks, meets };
    })
    .filter((c) => c !== null);
  if (checked.length === 0) return;
  input.reporter.emit('phase', { phase: 'profiling', rows: checked.reduce((n, c) => n + c.task.rows, 0) });
  for (const { task, compiled, state, breaks, meets } of checked) {
    if (input.signal.aborted) return;
    const policy = compiled.spec.conflict.policy;
    // Under keep-existing a row whose key the target holds is dropped, not written: it meets no constraint.
    const hits =
      policy === 'keep-existing' && state.rows > 0
        ? targetKeyHits(input.client, input.schema, compiled.spec, state, compiled.targetColumns)
        : undefined;
    await profileTask(task, compiled, input.reporter, {
      everyRow: true,
      onPage: async (page) => {
        const written = writtenRows(page, policy, hits === undefined ? [] : await hits(page));
        const target = task.spec.target;
        const refused = [
          ...[...((await breaks?.(page, written)) ?? [])].map(([name, rows]) => ({
            what: `rows that the CHECK constraint ${name} of ${target} refuses`,
            rows,
          })),
          ...[...((await meets?.(page, written)) ?? [])].map(([name, rows]) => ({
            what: `rows whose values under the unique index ${name} a row of ${target} with another key holds`,
            rows,
          })),
        ][0];
        if (refused === undefined) return;
        throw new TargetError(
          'TARGET_CONSTRAINT',
          `${task.file.path} ${task.spec.source}: ${refused.what} (the first: ${refused.rows
            .slice(0, 5)
            .map((i) => page.keys[i] ?? '')
            .join(', ')}); nothing was loaded`,
          {
            table: task.spec.target,
            hint: `Nothing was loaded and no run was created. Relax or drop the constraint on ${target} for the migration, or fix those rows in a copy of the file, then run the same command again; plan lists every such row.`,
          },
        );
      },
    });
  }
}
