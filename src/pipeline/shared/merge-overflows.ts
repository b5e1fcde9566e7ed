import type pg from 'pg';
import type { MergeRule, TableSpec } from '../../mapping/schema.js';
import { targetName } from '../../mapping/target-name.js';
import type { TargetTableState } from '../../target/target-state.js';
import { unnestRows } from '../../target/unnest-rows.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import type { ConvertedPage } from '../plan/profile.js';
import { constraintQuery, constraintText } from './check-breaks.js';
import type { EarlierColumns, EarlierRows, Product } from './earlier-rows.js';
import type { TargetValue } from '../../tables/value.js';
import { createdColumnType } from '../../target/target-ddl.js';

/** For each column whose merged value would pass its type, by name: the rows (indexes into the page) that would. */
export type MergeOverflows = (page: ConvertedPage, rows: readonly number[]) => Promise<Map<string, number[]>>;

/** The values an integer column of PostgreSQL holds. */
const INTEGER_RANGE: Readonly<Record<string, readonly [string, string]>> = {
  smallint: ['-32768', '32767'],
  integer: ['-2147483648', '2147483647'],
  bigint: ['-9223372036854775808', '9223372036854775807'],
};

/** The largest finite value of a float column: past it the server's arithmetic stops with "value out of range: overflow". */
const FLOAT_MAX: Readonly<Record<string, string>> = {
  real: '3.4028234663852886e38',
  'double precision': '1.7976931348623157e308',
};

/**
 * A merge rule whose float arithmetic can overflow: a float `sum`, a
 * `weighted-mean`'s products by the weights, or those of a `merge-keys` by a
 * weight over the numbers a JSON object's keys share.
 */
interface FloatRule {
  readonly column: string;
  readonly rule: 'sum' | 'weighted-mean' | 'merge-keys';
  /** The weight's target column; null for a sum. */
  readonly weight: string | null;
}

/**
 * Under the `merge` policy a `sum` column of a row whose key the target holds
 * takes the target's value plus the incoming one (mergeExpression,
 * src/target/merge-sql.ts). Two counters that each fit an integer column can
 * pass it together: two instances' `total_tokens` in the app's `integer`, or
 * a counter near 2^63 in `bigint`. The server then stopped the load at that
 * batch with "integer out of range" (exit 1), after the tables before it. Here
 * the sums are taken in `numeric` over the target's rows before any is
 * written; plan blocks them and a new run refuses them
 * (src/pipeline/migrate/constraint-refusal.ts). Float sums, weighted means
 * and weighted JSON merges are taken against the float type's largest value
 * (floatTest). With `earlier` (the `both` layout), the rows the run's earlier
 * files load into the target are added to the sums too: a key they hold sums
 * theirs with the target's and this one's (src/pipeline/shared/run-prior.ts).
 * Undefined when the table is not merged, meets no row, or has no such column
 * the run writes.
 */
export async function mergeOverflows(
  client: pg.Client,
  schema: string,
  spec: TableSpec,
  state: TargetTableState,
  targetColumns: readonly string[],
  earlier?: (columns: EarlierColumns) => Promise<EarlierRows>,
): Promise<MergeOverflows | undefined> {
  if (spec.conflict.policy !== 'merge') return undefined;
  const held = state.exists && state.rows > 0;
  if (!held && earlier === undefined) return undefined;
  // The table the run creates takes the mapping's types (src/target/target-ddl.ts).
  const typeOf = (c: string): string | undefined => (state.exists ? state.columns.get(c) : createdColumnType(spec, c));
  const key = spec.key.map((k) => targetName(spec, k));
  if (!key.every((c) => typeOf(c) !== undefined && targetColumns.includes(c))) return undefined;
  const sums = Object.entries(spec.conflict.columns)
    .filter(([, rule]) => (typeof rule === 'string' ? rule : rule.rule) === 'sum')
    .map(([source]) => targetName(spec, source))
    .filter((c) => !key.includes(c) && targetColumns.includes(c) && INTEGER_RANGE[typeOf(c) ?? ''] !== undefined);
  const floats = floatRules(spec, targetColumns, key, typeOf);
  if (sums.length === 0 && floats.length === 0) return undefined;
  const ranges = sums.map((c) => (INTEGER_RANGE[typeOf(c) as string] as readonly [string, string]).map(BigInt));
  // The earlier files' rows are added to sums and to weighted means' products
  // (a weighted merge of JSON objects is taken against the target's rows only).
  const floatSums = floats.filter((f) => f.rule === 'sum').map((f) => f.column);
  const means = floats.flatMap((f) =>
    f.rule === 'weighted-mean' && f.weight !== null ? [{ column: f.column, weight: f.weight }] : [],
  );
  const fromEarlier = sums.length + floatSums.length + means.length > 0;
  if (!held && !fromEarlier) return undefined;
  const prior = earlier === undefined || !fromEarlier ? undefined : await earlier({ sums, floatSums, products: means });
  const before = prior?.sums ?? new Map<string, readonly (bigint | null)[]>();
  const beforeFloat = prior?.floatSums ?? new Map<string, readonly (number | null)[]>();
  const beforeProducts = prior?.products ?? new Map<string, readonly Product[]>();
  const weights = [...new Set(floats.flatMap((f) => (f.weight === null ? [] : [f.weight])))].filter(
    (w) => !floats.some((f) => f.column === w),
  );
  // Then, per weighted mean, the earlier files' products of the row's key (text; NULL for none).
  const cols = [...key, ...sums, ...floats.map((f) => f.column), ...weights];
  const productAt = (column: string): string => `u.c${cols.length + means.findIndex((m) => m.column === column)}`;
  const on = key.map((c, j) => `t.${quoteIdent(c)} = u.c${j}::${typeOf(c) as string}`);
  const tests = sums.map((c, k) => {
    const [lo, hi] = INTEGER_RANGE[typeOf(c) as string] as readonly [string, string];
    // NULL and NULL stays NULL; otherwise a NULL counts as 0, as the merge takes it.
    const sum = `COALESCE(t.${quoteIdent(c)}::numeric, 0) + COALESCE(u.c${key.length + k}::numeric, 0)`;
    return `CASE WHEN ${sum} NOT BETWEEN ${lo} AND ${hi} THEN ${k} END`;
  });
  const incomingOf = (c: string): string => `u.c${cols.indexOf(c)}::${typeOf(c) as string}`;
  floats.forEach((f, j) =>
    tests.push(
      floatTest(f, typeOf, incomingOf, sums.length + j, f.rule === 'weighted-mean' ? productAt(f.column) : undefined),
    ),
  );
  const sql = `SELECT u.i, o.over
                 FROM ${unnestRows(cols.length + means.length)}
                 JOIN ${qualified(schema, spec.target)} AS t ON ${on.join(' AND ')}
                 CROSS JOIN LATERAL (SELECT array_remove(ARRAY[${tests.join(', ')}]::int[], NULL) AS over) AS o
                WHERE cardinality(o.over) > 0
                ORDER BY u.i`;
  const keyAt = key.map((c) => targetColumns.indexOf(c));
  const sumAt = sums.map((c) => targetColumns.indexOf(c));
  const asIsColumns = [...floats.map((f) => f.column), ...weights];
  const asIsAt = asIsColumns.map((c) => targetColumns.indexOf(c));
  const named = [...sums, ...floats.map((f) => f.column)];
  return async (page, rows) => {
    const over = new Map<string, number[]>();
    const note = (i: number, k: number): void => {
      const column = named[k] as string;
      const rowsOf = over.get(column);
      if (rowsOf === undefined) over.set(column, [i]);
      else rowsOf.push(i);
    };
    // What each row brings to the merge: its own counters, plus the earlier files' of its key.
    const incoming = (i: number): (bigint | null)[] => {
      const outcome = page.outcomes[i];
      const own = sumAt.map((j) => integerOf(outcome?.values[j]));
      const prior = before.get(page.keys[i] ?? '');
      return prior === undefined ? own : own.map((v, k) => addCounts(prior[k] ?? null, v));
    };
    // A float sum's own value plus the earlier files' of its key; `overflowed`: the addition passed the type.
    const floatIncoming = (i: number, c: string): { value: number | null; overflowed: boolean } => {
      const own = floatOf(page.outcomes[i]?.values[targetColumns.indexOf(c)]);
      const e = beforeFloat.get(page.keys[i] ?? '')?.[floatSums.indexOf(c)] ?? null;
      const value = addFloats(e, own);
      const limit = Number(FLOAT_MAX[typeOf(c) as string]);
      const overflowed =
        value !== null
        && e !== null
        && own !== null
        && Number.isFinite(e)
        && Number.isFinite(own)
        && !(Math.abs(value) <= limit);
      return { value, overflowed };
    };
    // A weighted mean's products: the earlier files' of the row's key, plus its own.
    const meanIncoming = (i: number, m: { column: string; weight: string }): Product | undefined => {
      const e = beforeProducts.get(page.keys[i] ?? '')?.[means.indexOf(m)];
      if (e === undefined) return undefined;
      const values = page.outcomes[i]?.values;
      return addProduct(
        e,
        floatOf(values?.[targetColumns.indexOf(m.column)]),
        floatOf(values?.[targetColumns.indexOf(m.weight)]),
      );
    };
    const inTarget = new Set(held ? rows : []);
    // A key the target does not hold meets only the earlier files' rows: their sums are checked here.
    page.keys.forEach((k, i) => {
      if (inTarget.has(i)) return;
      if (before.has(k))
        incoming(i).forEach((v, c) => {
          const [lo, hi] = ranges[c] as bigint[];
          if (v !== null && (v < (lo as bigint) || v > (hi as bigint))) note(i, c);
        });
      if (beforeFloat.has(k)) floatSums.forEach((c) => floatIncoming(i, c).overflowed && note(i, named.indexOf(c)));
      means.forEach((m) => meanIncoming(i, m)?.overflowed === true && note(i, named.indexOf(m.column)));
    });
    if (inTarget.size > 0) {
      const asked = [...inTarget];
      const values = asked.map(incoming);
      const params: unknown[] = [
        asked,
        ...keyAt.map((j) => asked.map((i) => constraintText(page.outcomes[i]?.values[j]))),
        ...sums.map((_, k) => values.map((v) => v[k]?.toString() ?? null)),
        ...asIsColumns.map((c, n) =>
          asked.map((i) => {
            // A float sum brings the earlier files' of its key too.
            if (floatSums.includes(c) && beforeFloat.has(page.keys[i] ?? '')) {
              const { value, overflowed } = floatIncoming(i, c);
              if (overflowed) note(i, named.indexOf(c));
              return value === null ? null : String(value);
            }
            return constraintText(page.outcomes[i]?.values[asIsAt[n] ?? -1]);
          }),
        ),
        ...means.map((m, n) =>
          asked.map((i) => {
            const e = beforeProducts.get(page.keys[i] ?? '')?.[n];
            // An earlier file's product past the type stops the merge whatever the target holds.
            if (e?.overflowed === true) note(i, named.indexOf(m.column));
            return e === undefined ? null : String(e.sum);
          }),
        ),
      ];
      const res = await constraintQuery<{ i: number; over: number[] }>(client, spec.target, sql, params);
      for (const r of res.rows) for (const k of r.over) note(r.i, k);
    }
    for (const list of over.values()) list.sort((a, b) => a - b);
    return over;
  };
}

/** An integer value as the merge adds it; null for NULL (or what is not an integer). */
export function integerOf(v: TargetValue | undefined): bigint | null {
  const text = constraintText(v);
  return text !== null && /^-?\d+$/.test(text) ? BigInt(text) : null;
}

/** A float value as the merge adds it; null for NULL (or what is not a number). */
export function floatOf(v: TargetValue | undefined): number | null {
  const text = constraintText(v);
  const n = text === null ? NaN : Number(text);
  return Number.isNaN(n) && text !== 'NaN' ? null : n;
}

/** Two floats as the merge adds them: NULL and NULL stays NULL, otherwise a NULL counts as 0. */
export function addFloats(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

/**
 * `prior` with one more row's value times its weight, as the weighted mean
 * takes them (mergeExpression, src/target/merge-sql.ts): a NULL value weighs
 * nothing, a NULL weight counts as 0. A product or sum of finite values past
 * double precision overflows; an infinite one is carried, as the server
 * carries it.
 */
export function addProduct(prior: Product | undefined, value: number | null, weight: number | null): Product {
  const p = value === null ? 0 : value * (weight ?? 0);
  const over = value !== null && Number.isFinite(value) && Number.isFinite(weight ?? 0) && !Number.isFinite(p);
  if (prior === undefined) return { sum: p, overflowed: over };
  const sum = prior.sum + p;
  return {
    sum,
    overflowed: prior.overflowed || over || (Number.isFinite(prior.sum) && Number.isFinite(p) && !Number.isFinite(sum)),
  };
}

/** Two counters as the merge adds them: NULL and NULL stays NULL, otherwise a NULL counts as 0. */
export function addCounts(a: bigint | null, b: bigint | null): bigint | null {
  return a === null && b === null ? null : (a ?? 0n) + (b ?? 0n);
}

/** The float columns the table's merge sums or averages by a weight, as the target types them. */
function floatRules(
  spec: TableSpec,
  targetColumns: readonly string[],
  key: readonly string[],
  typeOf: (c: string) => string | undefined,
): FloatRule[] {
  if (spec.conflict.policy !== 'merge') return [];
  const rules: [string, MergeRule][] = Object.entries(spec.conflict.columns);
  return rules.flatMap(([source, rule]): FloatRule[] => {
    const column = targetName(spec, source);
    if (key.includes(column) || !targetColumns.includes(column)) return [];
    const type = typeOf(column) ?? '';
    if ((typeof rule === 'string' ? rule : rule.rule) === 'sum')
      return FLOAT_MAX[type] === undefined ? [] : [{ column, rule: 'sum', weight: null }];
    if (typeof rule === 'string' || rule.weight === undefined) return [];
    if (rule.rule === 'weighted-mean' ? FLOAT_MAX[type] === undefined : type !== 'jsonb') return [];
    const weight = targetName(spec, rule.weight);
    return targetColumns.includes(weight) && typeOf(weight) !== undefined ? [{ column, rule: rule.rule, weight }] : [];
  });
}

/**
 * Whether the merge of float column `f` overflows, as a CASE giving `k`:
 * the server adds (and, for a weighted mean, multiplies by the weights) in
 * float arithmetic, which stops on a finite result past the type's largest
 * value (mergeExpression, src/target/merge-sql.ts). Taken here in `numeric`
 * over the finite values, so the test itself never overflows; a NULL or an
 * infinite value (which float arithmetic carries without an error) passes.
 */
function floatTest(
  f: FloatRule,
  typeOf: (c: string) => string | undefined,
  incomingOf: (c: string) => string,
  k: number,
  prior?: string,
): string {
  if (f.rule === 'merge-keys') return mergeKeysTest(f, incomingOf, k);
  const t = `t.${quoteIdent(f.column)}`;
  const s = incomingOf(f.column);
  const finite = (x: string): string => `(${x} IS NOT NULL AND ${x} NOT IN ('Infinity', '-Infinity', 'NaN'))`;
  const n = (x: string): string => `${x}::numeric`;
  if (f.weight === null) {
    const max = FLOAT_MAX[typeOf(f.column) as string] as string;
    // NULL and NULL stays NULL; otherwise a NULL counts as 0, as the merge takes it.
    const a = `COALESCE(${n(t)}, 0)`;
    const b = `COALESCE(${n(s)}, 0)`;
    return `CASE WHEN (${t} IS NULL OR ${finite(t)}) AND (${s} IS NULL OR ${finite(s)}) AND abs(${a} + ${b}) > ${max} THEN ${k} END`;
  }
  // The products and their sum are taken in double precision whatever the column's type.
  const max = FLOAT_MAX['double precision'] as string;
  const tw = `COALESCE(t.${quoteIdent(f.weight)}::numeric, 0)`;
  const sw = `COALESCE(${incomingOf(f.weight)}::numeric, 0)`;
  // The earlier files' products of the key (`prior`) join the target's: their
  // merged row, weighted by the summed weights, brings both to this merge.
  const p = prior ?? 'NULL::text';
  const tp = `CASE WHEN ${finite(t)} THEN ${n(t)} * ${tw} ELSE 0 END + CASE WHEN ${finite(p)} THEN ${n(p)} ELSE 0 END`;
  const sp = `CASE WHEN ${finite(s)} THEN ${n(s)} * ${sw} ELSE 0 END`;
  // An infinite value on the target's side makes the merged value infinite, which float arithmetic carries.
  const carried = `((${t} IS NOT NULL AND NOT ${finite(t)}) OR (${p} IS NOT NULL AND NOT ${finite(p)}))`;
  return `CASE WHEN abs(${sp}) > ${max} OR (NOT ${carried} AND (abs(${tp}) > ${max} OR abs((${tp}) + (${sp})) > ${max})) THEN ${k} END`;
}

/**
 * A `merge-keys` by a weight (mergeExpression): for each key both JSON
 * objects hold a number under, the two numbers are read as double precision
 * (which refuses one past its range) and averaged by the weights. Taken here
 * in `numeric`, which holds any JSON number.
 */
function mergeKeysTest(f: FloatRule, incomingOf: (c: string) => string, k: number): string {
  const t = `t.${quoteIdent(f.column)}`;
  const s = incomingOf(f.column);
  const max = FLOAT_MAX['double precision'] as string;
  const tw = `COALESCE(t.${quoteIdent(f.weight ?? '')}::numeric, 0)`;
  const sw = `COALESCE(${incomingOf(f.weight ?? '')}::numeric, 0)`;
  const a = `(${t} ->> k)::numeric`;
  const b = `(${s} ->> k)::numeric`;
  return `CASE WHEN jsonb_typeof(${t}) = 'object' AND jsonb_typeof(${s}) = 'object' AND ${tw} + ${sw} > 0
    AND EXISTS (SELECT 1 FROM jsonb_object_keys(${t}) AS ks(k)
                 WHERE ${s} ? k AND jsonb_typeof(${t} -> k) = 'number' AND jsonb_typeof(${s} -> k) = 'number'
                   AND greatest(abs(${a}), abs(${b}), abs(${a} * ${tw}), abs(${b} * ${sw}), abs(${a} * ${tw} + ${b} * ${sw})) > ${max})
    THEN ${k} END`;
}
