import { describe, expect, it } from 'vitest';
import { loadBuiltinMappingSet } from '../../../../src/mapping/load.js';
import { comparedColumns, digestPlan } from '../../../../src/pipeline/shared/digest-plan.js';
import { pgTypeName } from '../../../../src/target/target-state.js';

/**
 * Which tables go in COPY's binary format (src/target/binary-copy.ts): every
 * table of the aragora set, into the schema the tool creates, in a UTF8
 * database; none where the database is not UTF8, or a column has no binary
 * kind (then the whole table, and its row digest, stay in the text form).
 */
const set = loadBuiltinMappingSet();

function planOf(source: string, utf8: boolean, retype: Record<string, string> = {}) {
  const spec = set.bySource.get(source)?.table;
  if (spec === undefined) throw new Error(source);
  const columns = spec.columns.filter((c) => !c.targetOnly).map((c) => c.target ?? c.name);
  const types = new Map(
    spec.columns.map((c) => [c.target ?? c.name, retype[c.target ?? c.name] ?? pgTypeName(c.type)]),
  );
  return digestPlan({
    spec,
    sourceColumns: spec.columns.map((c) => c.name),
    sourceTimezone: 'UTC',
    targetColumns: columns,
    ...comparedColumns(spec, columns, types, utf8),
  });
}

describe('the binary form', () => {
  it('takes every table of the aragora set, into the tables the tool creates', () => {
    const text = [...set.bySource.keys()].filter((source) => planOf(source, true).copyKinds === null);
    expect(text).toEqual([]);
    // A column the target fills itself is checked after the COPY's columns, in the row hash only.
    const insights = planOf('insights', true);
    expect(insights.binary?.at(-1)).toBe('check');
    expect(insights.copyKinds?.length).toBe((insights.binary?.length ?? 0) - 1);
  });

  it('keeps the text form where the database is not UTF8, or a column has no binary kind', () => {
    expect(planOf('continuum_memory', false)).toMatchObject({ binary: null, copyKinds: null });
    // An app's schema with a float4 score: the whole table goes as text.
    expect(planOf('continuum_memory', true, { importance: 'real' })).toMatchObject({ binary: null, copyKinds: null });
    // The two forms hash differently, so a plan of one never vouches for the other.
    expect(planOf('matches', true).signature).not.toBe(planOf('matches', false).signature);
  });
});
