import { createHash } from 'node:crypto';
import type { TableSpec } from '../../mapping/schema.js';
import { checkCanon, columnCanon, SetDigest, type CanonicalForm, type ColumnCanon } from '../../tables/canonical.js';
import { RowHasher } from '../../tables/row-hasher.js';
import { DEFAULT_CONVERTER } from '../../tables/row-converter.js';
import type { TargetValue } from '../../tables/value.js';
import { binaryKind, BinaryRowHasher, type BinaryKind, type HashField } from '../../target/binary-copy.js';
import { quoteIdent } from '../../util/quote.js';
import { VERSION } from '../../version.js';

/**
 * The compared columns in the binary row hash (src/target/binary-copy.ts):
 * each column's kind, and the SQL the server reads it by (for a checked
 * column, the condition it must meet). null where a column has no binary
 * kind, or the database is not UTF8: the text form is then the row hash.
 */
export interface BinaryHash {
  readonly fields: readonly HashField[];
  readonly sql: readonly string[];
}

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
  utf8 = false,
): { compared: string[]; canons: ColumnCanon[]; binary: BinaryHash | null } {
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
  const kinds = (columns ?? []).map((name): BinaryKind | null => {
    const col = spec.columns.find((c) => (c.target ?? c.name) === name);
    const type = types.get(name);
    if (col === undefined || type === undefined) return null;
    return binaryKind(type, col.convert ?? DEFAULT_CONVERTER[col.type], col.whenMissing);
  });
  const binary =
    utf8 && kinds.every((k) => k !== null)
      ? {
          fields: [...(kinds as BinaryKind[]), ...checks.map((): HashField => 'check')],
          sql: [
            ...(columns ?? []).map(quoteIdent),
            ...checks.map(
              (c) => `${quoteIdent(c.target ?? c.name)} IS NOT DISTINCT FROM (${c.verifyEquals as string})`,
            ),
          ],
        }
      : null;
  return { compared, canons, binary };
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
  /** The binary row hash's fields, per compared column; null: the text form's rowHash. */
  readonly binary: readonly HashField[] | null;
  /**
   * Per column of the COPY, its binary kind, where the load sends the table in
   * binary and hashes each row over the bytes it sent: the binary row hash over
   * exactly the COPY's columns, in their order, then the checks. null: text COPY.
   */
  readonly copyKinds: readonly BinaryKind[] | null;
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
  /** The binary row hash (comparedColumns); null for the text form. */
  readonly binary: BinaryHash | null;
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
        binary: input.binary,
      }),
    )
    .digest('hex')
    .slice(0, 32);
  const idx = input.canons.map((c, i) =>
    c.form === 'check' ? -1 : input.targetColumns.indexOf(input.compared[i] ?? ''),
  );
  const fields = input.binary?.fields ?? null;
  const n = input.targetColumns.length;
  // The bytes sent are the bytes hashed when the compared columns are the COPY's, in order, and then checks only.
  const sentIsHashed =
    fields !== null && fields.length >= n && idx.every((i, j) => (j < n ? i === j : fields[j] === 'check'));
  return {
    idx,
    forms: input.canons.map((c) => c.form),
    binary: fields,
    copyKinds: sentIsHashed ? (fields.slice(0, n) as BinaryKind[]) : null,
    signature,
  };
}

/** Sums the row hashes of converted rows under a plan: the load's side of verify's digest. */
export class RowDigest {
  readonly #hasher: RowHasher | BinaryRowHasher;
  readonly #digest = new SetDigest();

  constructor(plan: DigestPlan) {
    this.#hasher = rowHasher(plan.idx, plan.forms, plan.binary);
  }

  add(values: readonly TargetValue[]): void {
    this.#digest.add(this.#hasher.hash(values));
  }

  /** Adds a row by its hash, taken already (over the bytes binary COPY sent, BinaryCopyBuffer). */
  addHash(hash: string): void {
    this.#digest.add(hash);
  }

  toString(): string {
    return this.#digest.toString();
  }
}

/** The row hasher of a form: the binary row hash when `binary` gives its fields, else the text form's. */
export function rowHasher(
  idx: readonly number[],
  forms: readonly CanonicalForm[],
  binary: readonly HashField[] | null,
): RowHasher | BinaryRowHasher {
  return binary === null ? new RowHasher(idx, forms) : new BinaryRowHasher(idx, binary);
}
