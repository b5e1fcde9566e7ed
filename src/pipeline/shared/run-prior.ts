import type { TableSpec } from '../../mapping/schema.js';
import { openSource } from '../../source/connection.js';
import { rawTextReader } from '../../source/read.js';
import { compileTable } from '../../tables/row-converter.js';
import type { OffsetFn } from '../../tables/timestamp.js';
import { FindingCollector } from '../../findings/collector.js';
import { silentReporter } from '../../report/events.js';
import { constraintText } from './check-breaks.js';
import { addCounts, addFloats, addProduct, floatOf, integerOf } from './merge-overflows.js';
import { profileTable } from '../plan/profile.js';
import type { EarlierColumns, EarlierRows, Prior, Product } from './earlier-rows.js';
import { DEFAULTS } from '../../defaults.js';

/** A source table of the run that loads into a target, read again only when a later one of the target needs its rows. */
interface EarlierTable {
  readonly path: string;
  readonly file: string;
  readonly table: string;
  /** As plan profiled it: fitted to the target, with the columns the file has. */
  readonly spec: TableSpec;
  readonly sourceColumns: readonly string[];
}

/**
 * The tables of this run that load into a target before the one being
 * judged: in the `both` layout two files feed one target, and migrate loads
 * them one after another, the second meeting the first's rows in the target
 * (src/pipeline/migrate/load-tables.ts). plan, and a new run before it is
 * created (src/pipeline/migrate/constraint-refusal.ts), judge each table
 * against the target as it is before the run; this adds what the earlier
 * files of the run will have put there, so that they see what the second one meets: ids
 * that take a new id from the sequence (src/pipeline/shared/id-room.ts), and
 * counters, float sums and weighted means' products a merge takes past their column
 * (src/pipeline/shared/merge-overflows.ts).
 * Only positions and names are kept; an earlier table's rows are read again
 * when a later one needs them: a merged table with sums, or a sequence near
 * its end.
 */
export class RunPrior {
  readonly #earlier = new Map<string, EarlierTable[]>();
  /** Per target, the highest id each earlier table puts there or moves the sequence to, taken when asked. */
  readonly #tops = new Map<string, (() => bigint)[]>();
  readonly #offsetOf: OffsetFn;

  constructor(offsetOf: OffsetFn) {
    this.#offsetOf = offsetOf;
  }

  /**
   * What the tables recorded so far for `target` leave in it, for the next
   * table of the target; undefined when none loads there before it.
   */
  before(target: string): Prior | undefined {
    const tables = [...(this.#earlier.get(target) ?? [])];
    if (tables.length === 0) return undefined;
    const tops = [...(this.#tops.get(target) ?? [])];
    return {
      top: () =>
        tops.reduce((max, top) => {
          const t = top();
          return t > max ? t : max;
        }, 0n),
      rows: (columns) => this.#rows(tables, columns),
    };
  }

  /**
   * Records a table that loads into `target`, and how to tell the highest id
   * it leaves there: asked only if a later table of the target needs it (it
   * may scan the source).
   */
  add(target: string, table: EarlierTable, top: () => bigint): void {
    const list = this.#earlier.get(target);
    if (list === undefined) this.#earlier.set(target, [table]);
    else list.push(table);
    const tops = this.#tops.get(target);
    if (tops === undefined) this.#tops.set(target, [top]);
    else tops.push(top);
  }

  /**
   * The ids, keys and sums (of `columns`, target columns) of the rows
   * `tables` load, converted as plan converted them (rejected rows load
   * nothing). Reads each of their files again.
   */
  async #rows(tables: readonly EarlierTable[], columns: EarlierColumns): Promise<EarlierRows> {
    const ids = new Set<string>();
    const keys = new Set<string>();
    const sums = new Map<string, (bigint | null)[]>();
    const floatSums = new Map<string, (number | null)[]>();
    const products = new Map<string, Product[]>();
    for (const t of tables) {
      try {
        await this.#readTable(t, columns, { ids, keys, sums, floatSums, products });
      } catch {
        // Read once already (plan reads it again by its path, after its snapshot is gone): a file
        // that cannot be read again adds nothing to count, and its load meets the same error.
      }
    }
    return { ids, keys, sums, floatSums, products };
  }

  /** One earlier table's rows into `into` (#rows). */
  async #readTable(
    t: EarlierTable,
    columns: EarlierColumns,
    into: {
      ids: Set<string>;
      keys: Set<string>;
      sums: Map<string, (bigint | null)[]>;
      floatSums: Map<string, (number | null)[]>;
      products: Map<string, Product[]>;
    },
  ): Promise<void> {
    const { ids, keys, sums, floatSums, products } = into;
    const summed = columns.sums ?? [];
    const floatSummed = columns.floatSums ?? [];
    const db = openSource(t.path);
    try {
      const compiled = compileTable(t.spec, t.sourceColumns, {
        offsetOf: this.#offsetOf,
        fetchRaw: rawTextReader(db, t.table),
      });
      const at = columns.surrogate === undefined ? -1 : compiled.targetColumns.indexOf(columns.surrogate);
      const sumAt = summed.map((c) => compiled.targetColumns.indexOf(c));
      const floatAt = floatSummed.map((c) => compiled.targetColumns.indexOf(c));
      const productAt = (columns.products ?? []).map((m) =>
        [m.column, m.weight].map((c) => compiled.targetColumns.indexOf(c)),
      );
      await profileTable(db, compiled, {
        file: t.file,
        pageRows: 5000,
        pageBytes: DEFAULTS.batchBytes,
        reporter: silentReporter,
        findings: new FindingCollector(),
        everyRow: true,
        onPage: (page) => {
          page.outcomes.forEach((o, i) => {
            const id = at < 0 ? null : constraintText(o.values[at]);
            if (id !== null) ids.add(id);
            const key = page.keys[i] ?? '';
            keys.add(key);
            if (sumAt.length > 0)
              sums.set(
                key,
                sumAt.map((j, k) => addCounts(sums.get(key)?.[k] ?? null, j < 0 ? null : integerOf(o.values[j]))),
              );
            if (floatAt.length > 0)
              floatSums.set(
                key,
                floatAt.map((j, k) => addFloats(floatSums.get(key)?.[k] ?? null, j < 0 ? null : floatOf(o.values[j]))),
              );
            if (productAt.length > 0)
              products.set(
                key,
                productAt.map(([v = -1, w = -1], k) =>
                  addProduct(
                    products.get(key)?.[k],
                    v < 0 ? null : floatOf(o.values[v]),
                    w < 0 ? null : floatOf(o.values[w]),
                  ),
                ),
              );
          });
          return Promise.resolve();
        },
      });
    } finally {
      db.close();
    }
  }
}
