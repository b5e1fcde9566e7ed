import { TargetError } from '../../errors.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { checkBreaks, writtenRows } from '../shared/check-breaks.js';
import { targetKeyHits } from '../shared/target-key-hits.js';
import { compileForTarget, profileTask, type PreRunReadInput } from './profile-task.js';

/**
 * A new run refuses, before it is created, source rows that a CHECK
 * constraint of an existing target table would refuse (TARGET_CONSTRAINT,
 * the code plan gives them, src/pipeline/shared/check-breaks.ts). Left to the
 * load, the first such row stopped the run at its batch, the tables and
 * batches before it kept: a run half done where plan had said GO. Only the
 * tables whose target declares a check on the columns the run writes are
 * read, through plan's converters, up to the first page that breaks one.
 */
export async function refuseCheckBreaks(input: PreRunReadInput): Promise<void> {
  const offsetOf = timeZoneOffsetFn(input.sourceTimezone);
  const checked = input.tasks
    .map((task) => {
      const judged = input.judged.get(task.spec.target);
      if (judged === undefined || !judged.state.exists || judged.state.checks.length === 0) return null;
      const { compiled, state } = compileForTarget(task, judged, offsetOf);
      const breaks = checkBreaks(input.client, task.spec.target, state, compiled.targetColumns);
      return breaks === undefined ? null : { task, compiled, state, breaks };
    })
    .filter((c) => c !== null);
  if (checked.length === 0) return;
  input.reporter.emit('phase', { phase: 'profiling', rows: checked.reduce((n, c) => n + c.task.rows, 0) });
  for (const { task, compiled, state, breaks } of checked) {
    if (input.signal.aborted) return;
    const policy = compiled.spec.conflict.policy;
    // Under keep-existing a row whose key the target holds is dropped, not written: it meets no check.
    const hits =
      policy === 'keep-existing' && state.rows > 0
        ? targetKeyHits(input.client, input.schema, compiled.spec, state, compiled.targetColumns)
        : undefined;
    await profileTask(task, compiled, input.reporter, {
      everyRow: true,
      onPage: async (page) => {
        const broken = await breaks(page, writtenRows(page, policy, hits === undefined ? [] : await hits(page)));
        const [name, rows] = [...broken][0] ?? [];
        if (name === undefined || rows === undefined) return;
        throw new TargetError(
          'TARGET_CONSTRAINT',
          `${task.file.path} ${task.spec.source}: rows that the CHECK constraint ${name} of ${task.spec.target} refuses (the first: ${rows
            .slice(0, 5)
            .map((i) => page.keys[i] ?? '')
            .join(', ')}); nothing was loaded`,
          { table: task.spec.target },
        );
      },
    });
  }
}
