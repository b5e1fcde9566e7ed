import { TargetError } from '../../errors.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { checkBreaks, writtenRows } from '../shared/check-breaks.js';
import { targetKeyHits } from '../shared/target-key-hits.js';
import { uniqueHits } from '../shared/unique-hits.js';
import { mergeOverflows } from '../shared/merge-overflows.js';
import { IdRoom, sourceMaxId } from '../shared/id-room.js';
import { RunPrior } from '../shared/run-prior.js';
import { sourceColumnsOf } from '../shared/tasks.js';
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
 * converters, up to the first page that meets one. So are merged sums that
 * would pass their column's type (TARGET_MERGE_OUT_OF_RANGE,
 * src/pipeline/shared/merge-overflows.ts), and rows that would take a new id
 * from a sequence with none left (TARGET_IDS_EXHAUSTED, src/pipeline/shared/id-room.ts),
 * counting, for a target two files of the run feed (the `both` layout), the
 * rows the earlier file loads there first (src/pipeline/shared/run-prior.ts).
 */
export async function refuseConstraintBreaks(input: PreRunReadInput): Promise<void> {
  const offsetOf = timeZoneOffsetFn(input.sourceTimezone);
  const checked = [];
  // The tasks of one target load one after another (src/pipeline/migrate/load-tables.ts): a later one meets the earlier ones' rows.
  const runPrior = new RunPrior(offsetOf);
  for (const task of input.tasks) {
    const target = task.spec.target;
    const judged = input.judged.get(target);
    const prior = runPrior.before(target);
    const { compiled, state } = compileForTarget(task, judged, offsetOf);
    const { client, schema } = input;
    const { surrogateKey } = compiled.spec;
    runPrior.add(
      target,
      {
        path: task.snapshot.readPath,
        file: task.file.path,
        table: task.spec.source,
        spec: compiled.spec,
        sourceColumns: sourceColumnsOf(task),
      },
      () => (surrogateKey === undefined ? 0n : sourceMaxId(task.snapshot.db, task.spec.source, surrogateKey)),
    );
    if (judged === undefined || (!state.exists && prior === undefined)) continue;
    const breaks = state.exists ? checkBreaks(client, target, state, compiled.targetColumns) : undefined;
    const meets = state.exists ? uniqueHits(client, schema, compiled.spec, state, compiled.targetColumns) : undefined;
    const sums = await mergeOverflows(client, schema, compiled.spec, state, compiled.targetColumns, prior?.rows);
    const ids = await IdRoom.of(
      client,
      schema,
      compiled.spec,
      state,
      compiled.targetColumns,
      task.snapshot.db,
      task.rows,
      prior,
    );
    if (breaks !== undefined || meets !== undefined || sums !== undefined || ids !== undefined)
      checked.push({ task, compiled, state, breaks, meets, sums, ids });
  }
  if (checked.length === 0) return;
  input.reporter.emit('phase', { phase: 'profiling', rows: checked.reduce((n, c) => n + c.task.rows, 0) });
  for (const { task, compiled, state, breaks, meets, sums, ids } of checked) {
    if (input.signal.aborted) return;
    const policy = compiled.spec.conflict.policy;
    // Under keep-existing a row whose key the target holds is dropped, not written: it meets no constraint.
    const hits =
      (policy === 'keep-existing' || sums !== undefined || ids !== undefined) && state.rows > 0
        ? targetKeyHits(input.client, input.schema, compiled.spec, state, compiled.targetColumns)
        : undefined;
    await profileTask(task, compiled, input.reporter, {
      everyRow: true,
      onPage: async (page) => {
        const met = hits === undefined ? [] : await hits(page);
        const written = writtenRows(page, policy, met);
        const target = task.spec.target;
        await ids?.count(page, met);
        const over = [...((await sums?.(page, met)) ?? [])][0];
        if (over !== undefined) {
          const [column, rows] = over;
          throw new TargetError(
            'TARGET_MERGE_OUT_OF_RANGE',
            `${task.file.path} ${task.spec.source}: rows whose ${column} the merge policy would add to the value of the row with their key in ${target}, past the column's type${state.columns.has(column) ? ` ${state.columns.get(column) ?? ''}` : ''} (the first: ${rows
              .slice(0, 5)
              .map((i) => page.keys[i] ?? '')
              .join(', ')}); nothing was loaded`,
            { table: target },
          );
        }
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
    const shortfall = ids?.shortfall() ?? null;
    if (shortfall !== null)
      throw new TargetError(
        'TARGET_IDS_EXHAUSTED',
        `${task.file.path} ${task.spec.source}: ${shortfall.needed} row(s) whose id ${task.spec.target} holds would take a new id from its sequence, which has ${shortfall.room} left (its maximum is ${shortfall.sequenceMax}; the first: ${shortfall.keys.join(', ')}); nothing was loaded`,
        {
          table: task.spec.target,
          hint: `Nothing was loaded and no run was created. Give the row holding the highest id a smaller one in a copy of the file (or in ${task.spec.target}), or widen an integer sequence (ALTER SEQUENCE … AS bigint), then run the same command again; plan lists these rows.`,
        },
      );
  }
}
