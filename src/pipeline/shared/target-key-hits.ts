import type pg from 'pg';
import type { TableSpec } from '../../mapping/schema.js';
import { targetKeyPart } from '../../tables/target-key.js';
import { existingKeys, type TargetTableState } from '../../target/target-state.js';
import type { ConvertedPage } from '../plan/profile.js';
import { targetName } from '../../mapping/target-name.js';

/**
 * The rows of a converted page whose key the target table already holds, by
 * index; undefined when the target cannot be asked (it lacks a key column).
 * plan counts them as key conflicts; a new run refuses them first under the
 * `fail` policy (src/pipeline/migrate/fail-conflicts.ts).
 */
export function targetKeyHits(
  client: pg.Client,
  schema: string,
  spec: TableSpec,
  state: TargetTableState,
  targetColumns: readonly string[],
): ((page: ConvertedPage) => Promise<number[]>) | undefined {
  const keyCols = spec.key.map((k) => {
    const name = targetName(spec, k);
    return { name, index: targetColumns.indexOf(name), type: state.columns.get(name) };
  });
  if (keyCols.some((k) => k.index < 0 || k.type === undefined)) return undefined;
  return (page) =>
    existingKeys(
      client,
      schema,
      spec.target,
      keyCols.map((k) => ({ name: k.name, type: k.type as string })),
      page.outcomes.map((o) => keyCols.map((k) => targetKeyPart(o.values[k.index]))),
    );
}
