import type { TableSpec } from '../../src/mapping/schema.js';

/**
 * A table spec for unit tests: named columns and a key, and by default no
 * unique constraints, indexes, foreign keys or triggers, the target named as
 * the source and the `fail` conflict policy; any field given wins.
 */
export function tableSpec(spec: Pick<TableSpec, 'source' | 'key' | 'columns'> & Partial<TableSpec>): TableSpec {
  return {
    target: spec.source,
    unique: [],
    indexes: [],
    foreignKeys: [],
    triggers: [],
    conflict: { policy: 'fail' },
    ...spec,
  };
}
