import type { SourceFile } from '../discover/discover.js';
import { MigrateError } from '../errors.js';
import type { MappingSet } from '../mapping/load.js';
import type { TableSpec } from '../mapping/schema.js';
import { effectiveSpec } from './effective-spec.js';
import type { Snapshot } from './snapshot.js';

/** One source table to move (or verify): its file, open snapshot, effective spec and row count. */
export interface Task {
  readonly file: SourceFile;
  readonly snapshot: Snapshot;
  readonly spec: TableSpec;
  readonly rows: number;
}

/** Every mapped table of every readable file; a table the mapping cannot satisfy stops the run. */
export function collectTasks(files: readonly SourceFile[], snapshots: ReadonlyMap<string, Snapshot>, mappings: MappingSet): Task[] {
  const tasks: Task[] = [];
  for (const file of files) {
    const snapshot = snapshots.get(file.path);
    if (snapshot === undefined) continue;
    for (const obj of file.objects) {
      if (obj.type !== 'table' || obj.skipReason !== null) continue;
      const mapped = mappings.bySource.get(obj.name);
      if (mapped === undefined) continue;
      const { spec } = effectiveSpec(mapped.table, obj);
      const present = new Set(obj.columns.map((c) => c.name));
      const unsatisfied = spec.columns.filter((c) => !c.targetOnly && !present.has(c.name) && c.whenMissing === undefined);
      if (unsatisfied.length > 0) {
        throw new MigrateError('PLAN_BLOCKED', `${file.path} ${obj.name} lacks column(s) ${unsatisfied.map((c) => c.name).join(', ')} and the mapping gives no whenMissing value`);
      }
      tasks.push({ file, snapshot, spec, rows: obj.rows ?? 0 });
    }
  }
  return tasks;
}

/** Tasks grouped by the target table they feed. */
export function groupByTarget(tasks: readonly Task[]): Map<string, Task[]> {
  const byTarget = new Map<string, Task[]>();
  for (const t of tasks) byTarget.set(t.spec.target, [...(byTarget.get(t.spec.target) ?? []), t]);
  return byTarget;
}
