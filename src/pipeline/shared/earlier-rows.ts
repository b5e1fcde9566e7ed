// What plan and a new run's pre-run read learn of the rows an earlier file of
// the run loads into a target (src/pipeline/shared/run-prior.ts), as the checks
// that count them take it (src/pipeline/shared/id-room.ts,
// src/pipeline/shared/merge-overflows.ts).

/** The ids, keys and sums of the rows the earlier tables of a target load, converted as the load converts them. */
export interface EarlierRows {
  readonly ids: ReadonlySet<string>;
  readonly keys: ReadonlySet<string>;
  /** Per key, what the earlier rows of that key add to each `sum` column asked for (null: only NULLs). */
  readonly sums: ReadonlyMap<string, readonly (bigint | null)[]>;
  /** The same for the float `sum` columns asked for, added as the server adds them. */
  readonly floatSums: ReadonlyMap<string, readonly (number | null)[]>;
  /** Per key, the weighted means' products asked for, summed over the earlier rows of that key. */
  readonly products: ReadonlyMap<string, readonly Product[]>;
}

/**
 * What the earlier rows of a key bring to a weighted mean (mergeExpression,
 * src/target/merge-sql.ts): their values times their weights, added as the
 * server adds them. Their merged row, weighted by the summed weights, brings
 * the same product to the next merge. `overflowed`: a product or the sum of
 * finite ones passed double precision, which stops the server's merge.
 */
export interface Product {
  readonly sum: number;
  readonly overflowed: boolean;
}

/** What the earlier tables of a target leave in it. */
export interface Prior {
  /** The highest id they put there or move the sequence to. */
  readonly top: () => bigint;
  /** Their rows' ids, keys and sums, read when asked. */
  readonly rows: (columns: EarlierColumns) => Promise<EarlierRows>;
}

/** The target columns a later table asks of the earlier ones: its id, the integer and float columns its merge sums, and those it averages by a weight. */
export interface EarlierColumns {
  readonly surrogate?: string;
  readonly sums?: readonly string[];
  readonly floatSums?: readonly string[];
  /** The weighted means' columns, each with its weight's column. */
  readonly products?: readonly { readonly column: string; readonly weight: string }[];
}
