import { createHash } from 'node:crypto';
import type { TableSpec } from '../../mapping/schema.js';
import { checkCanon, columnCanon, SetDigest, type CanonicalForm, type ColumnCanon } from '../../tables/canonical.js';
import { RowHasher } from '../../tables/row-hasher.js';
import type { TargetValue } from '../../tables/value.js';
import { VERSION } from '../../version.js';

/**
 * The columns verify compares and how each is printed: the target's type
 * decides. Columns the target fills itself are checked against their
 * expression. A column the target lacks (a table an older version created)
 * holds nothing: its values show as changed.
 */
export function comparedColumns(
  spec: TableSpec,
  columns: readonly string[] | null,
  types: ReadonlyMap<string, string>,
): { compared: string[]; canons: ColumnCanon[] } {
  const checks = spec.columns.filter(
    (c) => c.targetOnly && c.verifyEquals !== undefined && types.has(c.target ?? c.name),
  );
  const compared = [...(columns ?? []), ...checks.map((c) => c.target ?? c.name)];
  const canons = [
    ...(columns ?? []).map((c): ColumnCanon =>
      types.has(c) ? columnCanon(c, types.get(c) as string) : { form: 'text', expr: 'NULL::text' },
    ),
    ...checks.map((c) => checkCanon(c.target ?? c.name, c.verifyEquals as string)),
  ];
  return { compared, canons };
}

/**
 * How the load digests its rows for verify: which converted values, printed
 * in which canonical form, and a hash of everything the digest depends on.
 * Serializable: it travels to the conversion worker.
 *
 * verify converts the source again and sums the row hashes of what it
 * expects (src/pipeline/verify/verify-source.ts). The load already holds each
 * row's converted values, so it sums the same row hashes over the rows it
 * sends, per batch (src/pipeline/shared/prepare-batch.ts). The sums agree
 * exactly when both sides convert the same bytes the same way and print the
 * same columns the same way: `signature` hashes what decides that (the tool's
 * version, the converter spec, the source columns, the time zone, the compared
 * columns with their forms and SQL), and verify takes the load's sums only
 * where its own plan has the same signature and the source files hash as they
 * did when the run started (ARCHITECTURE.md, "What verify proves").
 */
export interface DigestPlan {
  /** Per compared column: its index in the converted row, or -1 for a checked column (always `t`). */
  readonly idx: readonly number[];
  readonly forms: readonly CanonicalForm[];
  readonly signature: string;
}

export interface DigestPlanInput {
  /** The spec the converters are compiled from. */
  readonly spec: TableSpec;
  readonly sourceColumns: readonly string[];
  readonly sourceTimezone: string;
  /** The converted row's columns (CompiledTable.targetColumns). */
  readonly targetColumns: readonly string[];
  /** The compared columns and their canonical forms (comparedColumns). */
  readonly compared: readonly string[];
  readonly canons: readonly ColumnCanon[];
}

export function digestPlan(input: DigestPlanInput): DigestPlan {
  const signature = createHash('sha256')
    .update(
      JSON.stringify({
        version: VERSION,
        spec: input.spec,
        sourceColumns: input.sourceColumns,
        timezone: input.sourceTimezone,
        compared: input.compared.map((c, i) => [c, input.canons[i]?.form, input.canons[i]?.expr]),
      }),
    )
    .digest('hex')
    .slice(0, 32);
  return {
    idx: input.canons.map((c, i) => (c.form === 'check' ? -1 : input.targetColumns.indexOf(input.compared[i] ?? ''))),
    forms: input.canons.map((c) => c.form),
    signature,
  };
}

/** Sums the row hashes of converted rows under a plan: the load's side of verify's digest. */
export class RowDigest {
  readonly #hasher: RowHasher;
  readonly #digest = new SetDigest();

  constructor(plan: DigestPlan) {
    this.#hasher = new RowHasher(plan.idx, plan.forms);
  }

  add(values: readonly TargetValue[]): void {
    this.#digest.add(this.#hasher.hash(values));
  }

  toString(): string {
    return this.#digest.toString();
  }
}
