import type { TableSpec } from './schema.js';

/** The target column a mapped source column (a key, a surrogate, a merge rule's column) loads into: its `target`, else its own name. */
export function targetName(spec: TableSpec, column: string): string {
  return spec.columns.find((c) => c.name === column)?.target ?? column;
}
