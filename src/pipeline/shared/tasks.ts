import type { SourceFile } from '../../source/discover.js';
import { MigrateError } from '../../errors.js';
import type { MappingSet } from '../../mapping/load.js';
import type { TableSpec } from '../../mapping/schema.js';
import { columnSatisfied, selectableColumns } from '../../tables/row-converter.js';
import { effectiveSpec } from './effective-spec.js';
import type { Snapshot } from '../../source/snapshot.js';

/** One source table to move (or verify): its file, open snapshot, effective spec and row count. */
export interface Task {
  readonly file: SourceFile;
  readonly snapshot: Snapshot;
  readonly spec: TableSpec;
  readonly rows: number;
}

/** The source table's columns a converter reads: all but a virtual table's hidden ones. */
export function sourceColumnsOf(task: Task): string[] {
  return (task.file.objects.find((o) => o.name === task.spec.source)?.columns ?? [])
    .filter((c) => !c.hidden)
    .map((c) => c.name);
}

/** Every mapped table of every readable file; a table the mapping cannot satisfy stops the run. */
export function collectTasks(
  files: readonly SourceFile[],
  snapshots: ReadonlyMap<string, Snapshot>,
  mappings: MappingSet,
): Task[] {
  const tasks: Task[] = [];
  for (const file of files) {
    const snapshot = snapshots.get(file.path);
    if (snapshot === undefined) continue;
    for (const obj of file.objects) {
      if (obj.type !== 'table' || obj.skipReason !== null) continue;
      const mapped = mappings.bySource.get(obj.name);
      if (mapped === undefined) continue;
      const { spec } = effectiveSpec(mapped.table, obj);
      const present = selectableColumns(
        obj.columns.map((c) => c.name),
        spec,
      );
      const unsatisfied = spec.columns.filter((c) => !columnSatisfied(c, present));
      if (unsatisfied.length > 0) {
        throw new MigrateError(
          'PLAN_BLOCKED',
          `${file.path} ${obj.name} lacks column(s) ${unsatisfied.map((c) => c.name).join(', ')} and the mapping gives no whenMissing value`,
        );
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

/**
 * For each target table, the target tables of this run it references by a
 * foreign key (the mapping's `enforce` keys, and the keys an existing table
 * declares): those are loaded before it, so every row it loads finds its
 * parent, or is known to be an orphan. A table referencing itself is not its
 * own parent.
 */
export function parentTables(
  byTarget: ReadonlyMap<string, readonly Task[]>,
  foreignKeysOf: (target: string, spec: TableSpec) => readonly { readonly parent: string }[],
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [target, group] of byTarget) {
    const parents = new Set<string>();
    for (const t of group)
      for (const fk of foreignKeysOf(target, t.spec))
        if (fk.parent !== target && byTarget.has(fk.parent)) parents.add(fk.parent);
    out.set(target, parents);
  }
  return out;
}
