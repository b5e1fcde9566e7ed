import { TargetError, type ErrorCode } from '../../errors.js';
import type { FindingCollector } from '../../findings/collector.js';
import type { ConvertedPage } from './profile.js';

type FindingInput = Parameters<FindingCollector['add']>[0];
type TallyKind = 'check_violation' | 'unique_violation' | 'merge_overflow';

/**
 * The rows of one source table that a kind of constraint of its existing
 * target refuses, page by page (a CHECK, src/pipeline/shared/check-breaks.ts;
 * a unique index, src/pipeline/shared/unique-hits.ts), as one `block`
 * finding: a new run refuses them before it is created (TARGET_CONSTRAINT,
 * src/pipeline/migrate/constraint-refusal.ts), so plan says NO-GO for them.
 * Merged sums that pass their column's type (src/pipeline/shared/merge-overflows.ts)
 * are tallied the same way, under their own code.
 */
export class ConstraintTally {
  readonly #kind: TallyKind;
  readonly #code: ErrorCode;
  /** How a constraint is named in the finding, from its name. */
  readonly #describe: (name: string) => string;
  #rows = 0;
  readonly #keys: string[] = [];
  readonly #byConstraint = new Map<string, number>();
  #error: string | null = null;

  constructor(kind: TallyKind, describe: (name: string) => string, code: ErrorCode = 'TARGET_CONSTRAINT') {
    this.#kind = kind;
    this.#code = code;
    this.#describe = describe;
  }

  /** Whether a row meets a constraint, or the constraints could not be evaluated on the rows. */
  get any(): boolean {
    return this.#rows > 0 || this.#error !== null;
  }

  /** Counts what `judge` finds in `page`; a constraint that cannot be evaluated ends the count with its reason. */
  async count(page: ConvertedPage, judge: () => Promise<Map<string, number[]>>): Promise<void> {
    if (this.#error !== null) return;
    let met: Map<string, number[]>;
    try {
      met = await judge();
    } catch (err: unknown) {
      if (!(err instanceof TargetError)) throw err;
      this.#error = err.message;
      return;
    }
    const rows = new Set<number>();
    for (const [name, at] of met) {
      this.#byConstraint.set(name, (this.#byConstraint.get(name) ?? 0) + at.length);
      for (const i of at) rows.add(i);
    }
    this.#rows += rows.size;
    for (const i of [...rows].sort((a, b) => a - b)) if (this.#keys.length < 5) this.#keys.push(page.keys[i] ?? '');
  }

  /** The finding, when a row met a constraint; `refused` says what the constraints do to them. */
  findings(file: string, table: string, refused: string): FindingInput[] {
    const base = { file, table, column: null, kind: this.#kind, action: 'block', code: this.#code } as const;
    if (this.#error !== null) return [{ ...base, count: 1, message: this.#error }];
    if (this.#rows === 0) return [];
    const which = [...this.#byConstraint].map(([name, n]) => `${this.#describe(name)}: ${n} row(s)`);
    return [
      {
        ...base,
        count: this.#rows,
        keys: this.#keys,
        message: `${this.#rows} row(s) ${refused} (${which.join('; ')}); a new run is refused before it loads anything`,
      },
    ];
  }
}
