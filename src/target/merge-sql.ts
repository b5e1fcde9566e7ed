import type { Conflict, MergeRule, TableSpec } from '../mapping/schema.js';
import { quoteIdent } from '../util/quote.js';
import { targetName } from '../mapping/target-name.js';

/**
 * SQL for rows whose key already exists in the target, one statement per step,
 * run inside the batch's transaction against the staging table `s` and the
 * target `t`. In an UPDATE … FROM every expression reads the row's values from
 * before the update, so a weighted mean uses both rows' old weights even when
 * the weight column itself is summed in the same statement.
 */

const col = (alias: 't' | 's', name: string): string => `${alias}.${quoteIdent(name)}`;

/** The new value of column `c` under a merge rule. */
export function mergeExpression(c: string, rule: MergeRule): string {
  const t = col('t', c);
  const s = col('s', c);
  const name = typeof rule === 'string' ? rule : rule.rule;
  switch (name) {
    case 'sum':
      return `CASE WHEN ${t} IS NULL AND ${s} IS NULL THEN NULL ELSE COALESCE(${t}, 0) + COALESCE(${s}, 0) END`;
    case 'max':
      return `GREATEST(${t}, ${s})`;
    case 'min':
      return `LEAST(${t}, ${s})`;
    case 'keep':
      return t;
    case 'incoming':
      return s;
    case 'union':
      // Existing elements first, then incoming ones not already present.
      return `CASE WHEN ${t} IS NULL THEN ${s} WHEN ${s} IS NULL THEN ${t}
        WHEN jsonb_typeof(${t}) = 'array' AND jsonb_typeof(${s}) = 'array'
        THEN ${t} || COALESCE((SELECT jsonb_agg(e ORDER BY o) FROM jsonb_array_elements(${s}) WITH ORDINALITY AS x(e, o) WHERE NOT ${t} @> jsonb_build_array(e)), '[]'::jsonb)
        ELSE ${s} END`;
    case 'weighted-mean': {
      const w = typeof rule === 'string' ? null : 'weight' in rule && rule.weight !== undefined ? rule.weight : null;
      if (w === null) return s;
      const tw = `CASE WHEN ${t} IS NULL THEN 0 ELSE COALESCE(${col('t', w)}, 0) END`;
      const sw = `CASE WHEN ${s} IS NULL THEN 0 ELSE COALESCE(${col('s', w)}, 0) END`;
      return `COALESCE((COALESCE(${t} * (${tw}), 0) + COALESCE(${s} * (${sw}), 0)) / NULLIF((${tw}) + (${sw}), 0), ${s}, ${t})`;
    }
    case 'merge-keys': {
      const w = typeof rule === 'string' ? null : 'weight' in rule && rule.weight !== undefined ? rule.weight : null;
      const both =
        w === null
          ? `${s} -> k`
          : `CASE WHEN jsonb_typeof(${t} -> k) = 'number' AND jsonb_typeof(${s} -> k) = 'number'
                   AND COALESCE(${col('t', w)}, 0) + COALESCE(${col('s', w)}, 0) > 0
              THEN to_jsonb(((${t} ->> k)::float8 * COALESCE(${col('t', w)}, 0) + (${s} ->> k)::float8 * COALESCE(${col('s', w)}, 0))
                            / (COALESCE(${col('t', w)}, 0) + COALESCE(${col('s', w)}, 0)))
              ELSE ${s} -> k END`;
      return `CASE WHEN ${t} IS NULL OR jsonb_typeof(${t}) <> 'object' THEN COALESCE(${s}, ${t})
        WHEN ${s} IS NULL OR jsonb_typeof(${s}) <> 'object' THEN ${t}
        ELSE (SELECT COALESCE(jsonb_object_agg(k, CASE WHEN ${t} ? k AND ${s} ? k THEN ${both} WHEN ${s} ? k THEN ${s} -> k ELSE ${t} -> k END), '{}'::jsonb)
                FROM (SELECT jsonb_object_keys(${t}) UNION SELECT jsonb_object_keys(${s})) AS ks(k)) END`;
    }
  }
  return s;
}

/**
 * The key column (source name) of a keep-both table whose colliding rows are
 * loaded as `<id>~<instance>`: a single key with no autoincrement surrogate to
 * re-assign instead. Null for every other table.
 */
export function rekeyedTextKey(spec: TableSpec): string | null {
  return spec.conflict.policy === 'keep-both' && spec.surrogateKey === undefined && spec.key.length === 1
    ? (spec.key[0] as string)
    : null;
}

/**
 * Rows of the stage whose key exists, as the ledger records them
 * (recordConflicts in src/ledger/conflicts.ts): each with the row before and
 * the incoming row, under the policy's name and the outcome it had.
 */
export interface Collisions {
  /** The policy as the ledger names it (`newest:<column>` for newest). */
  readonly policy: string;
  /** SQL expression over `t` (the target row) and `s` (the staged row): what the policy did. */
  readonly outcome: string;
  /** `FROM stage AS s JOIN target AS t ON key`: the colliding pairs. */
  readonly from: string;
}

export interface ConflictSql {
  readonly collisions: Collisions;
  /** The update the policy makes to existing rows, or null when it keeps them. */
  readonly update: string | null;
  /** Removes the resolved rows from the stage; its row count is rowsMerged. */
  readonly discard: string;
}

/**
 * `target` and `stage` are already-quoted names; `columns` the target columns
 * in the stage; `key` the target names of the natural key. Parameters: $1 run
 * id, $2 source file, $3 source table, $4 target table name.
 */
export function conflictSql(
  spec: TableSpec,
  conflict: Conflict,
  target: string,
  stage: string,
  columns: readonly string[],
  key: readonly string[],
): ConflictSql {
  const on = key.map((k) => `${col('t', k)} = ${col('s', k)}`).join(' AND ');
  const nonKey = columns.filter((c) => !key.includes(c) && c !== spec.surrogateKey);
  let outcome = `'kept-existing'`;
  let update: string | null = null;
  switch (conflict.policy) {
    case 'overwrite':
      outcome = `'overwritten'`;
      update =
        nonKey.length === 0
          ? null
          : `UPDATE ${target} AS t SET ${nonKey.map((c) => `${quoteIdent(c)} = ${col('s', c)}`).join(', ')} FROM ${stage} AS s WHERE ${on}`;
      break;
    case 'newest': {
      const n = conflict.column;
      const wins = `((${col('t', n)} IS NULL AND ${col('s', n)} IS NOT NULL) OR ${col('s', n)} > ${col('t', n)})`;
      outcome = `CASE WHEN ${wins} THEN 'incoming-newer' ELSE 'kept-existing' END`;
      update =
        nonKey.length === 0
          ? null
          : `UPDATE ${target} AS t SET ${nonKey.map((c) => `${quoteIdent(c)} = ${col('s', c)}`).join(', ')} FROM ${stage} AS s WHERE ${on} AND ${wins}`;
      break;
    }
    case 'merge': {
      const sets = Object.entries(conflict.columns)
        .map(([source, rule]) => {
          const name = targetName(spec, source);
          return columns.includes(name) ? `${quoteIdent(name)} = ${mergeExpression(name, rule)}` : null;
        })
        .filter((x): x is string => x !== null);
      outcome = `'merged'`;
      update = sets.length === 0 ? null : `UPDATE ${target} AS t SET ${sets.join(', ')} FROM ${stage} AS s WHERE ${on}`;
      break;
    }
    case 'keep-both':
      // Reached only for a composite key: a single text id is re-keyed before
      // this (load-table.ts), a surrogate one gets a new id. Nothing to re-key
      // here, so the existing row stays and the incoming one is in the ledger.
      outcome = `'kept-existing: id collision, incoming row in the ledger'`;
      break;
    case 'keep-existing':
      if (conflict.warn === true) outcome = `'kept-existing (review)'`;
      break;
    case 'fail':
      break;
  }
  const collisions = {
    policy: conflict.policy === 'newest' ? `newest:${conflict.column}` : conflict.policy,
    outcome,
    from: `FROM ${stage} AS s JOIN ${target} AS t ON ${on}`,
  };
  const discard = `DELETE FROM ${stage} AS s USING ${target} AS t WHERE ${on}`;
  return { collisions, update, discard };
}
