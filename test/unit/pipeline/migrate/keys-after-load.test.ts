import { describe, expect, it } from 'vitest';
import type { MappingSet } from '../../../../src/mapping/load.js';
import { TableSpecSchema, type TableSpec } from '../../../../src/mapping/schema.js';
import { keysAfterLoad, type JudgedTarget } from '../../../../src/pipeline/migrate/target-tables.js';
import type { Task } from '../../../../src/pipeline/shared/tasks.js';
import { MISSING_TABLE } from '../../../../src/target/target-state.js';

/** A table keyed by `id`, with a foreign key to each of `parents` (source names). */
function spec(source: string, parents: readonly string[] = []): TableSpec {
  return TableSpecSchema.parse({
    source,
    target: `t_${source}`,
    key: ['id'],
    columns: [{ name: 'id', type: 'text', nullable: false }, ...parents.map((p) => ({ name: p, type: 'text' }))],
    foreignKeys: parents.map((p) => ({ columns: [p], references: { table: p, columns: ['id'] }, enforce: true })),
  });
}

function plan(tables: { spec: TableSpec; feeds?: number; exists?: boolean }[]): Set<string> {
  const byTarget = new Map<string, Task[]>();
  const judged = new Map<string, JudgedTarget>();
  for (const t of tables) {
    byTarget.set(
      t.spec.target,
      Array.from({ length: t.feeds ?? 1 }, () => ({ spec: t.spec }) as unknown as Task),
    );
    judged.set(t.spec.target, {
      spec: t.spec,
      state: t.exists === true ? { ...MISSING_TABLE, exists: true } : MISSING_TABLE,
      widen: [],
    });
  }
  const mappings = {
    bySource: new Map(tables.map((t) => [t.spec.source, { table: t.spec }])),
  } as unknown as MappingSet;
  return keysAfterLoad(judged, byTarget, mappings);
}

describe('keysAfterLoad', () => {
  it('takes the tables the run creates for one source table each, parents and children alike', () => {
    expect(plan([{ spec: spec('a') }, { spec: spec('b', ['a']) }, { spec: spec('c', ['c']) }])).toEqual(
      new Set(['t_a', 't_b', 't_c']),
    );
  });

  it('leaves out a table that exists, one fed by several source tables, and the tables of a circle of keys', () => {
    expect(
      plan([
        { spec: spec('old'), exists: true },
        { spec: spec('merged'), feeds: 2 },
        { spec: spec('x', ['y']) },
        { spec: spec('y', ['z']) },
        { spec: spec('z', ['x']) },
        { spec: spec('leaf', ['x']) },
      ]),
    ).toEqual(new Set(['t_leaf']));
  });
});
