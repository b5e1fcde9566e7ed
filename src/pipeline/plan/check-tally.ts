import { TargetError } from '../../errors.js';
import type { FindingCollector } from '../../findings/collector.js';
import type { TargetTableState } from '../../target/target-state.js';
import type { ConvertedPage } from './profile.js';

type FindingInput = Parameters<FindingCollector['add']>[0];

/**
 * The rows of one source table that break a CHECK constraint of its target
 * (src/pipeline/shared/check-breaks.ts), page by page, as one `block` finding:
 * a new run refuses them before it is created (TARGET_CONSTRAINT,
 * src/pipeline/migrate/check-refusal.ts), so plan says NO-GO for them.
 */
export class CheckTally {
  #rows = 0;
  readonly #keys: string[] = [];
  readonly #byCheck = new Map<string, number>();
  #error: string | null = null;

  /** Whether a row breaks a check, or the checks could not be evaluated on the rows. */
  get any(): boolean {
    return this.#rows > 0 || this.#error !== null;
  }

  /** Counts what `judge` finds broken in `page`; a check that cannot be evaluated ends the count with its reason. */
  async count(page: ConvertedPage, judge: () => Promise<Map<string, number[]>>): Promise<void> {
    if (this.#error !== null) return;
    let broken: Map<string, number[]>;
    try {
      broken = await judge();
    } catch (err: unknown) {
      if (!(err instanceof TargetError)) throw err;
      this.#error = err.message;
      return;
    }
    const rows = new Set<number>();
    for (const [name, at] of broken) {
      this.#byCheck.set(name, (this.#byCheck.get(name) ?? 0) + at.length);
      for (const i of at) rows.add(i);
    }
    this.#rows += rows.size;
    for (const i of [...rows].sort((a, b) => a - b)) if (this.#keys.length < 5) this.#keys.push(page.keys[i] ?? '');
  }

  findings(file: string, table: string, target: string, state: TargetTableState | null): FindingInput[] {
    const base = {
      file,
      table,
      column: null,
      kind: 'check_violation',
      action: 'block',
      code: 'TARGET_CONSTRAINT',
    } as const;
    if (this.#error !== null) return [{ ...base, count: 1, message: this.#error }];
    if (this.#rows === 0) return [];
    const which = [...this.#byCheck].map(([name, n]) => {
      const expression = state?.checks.find((c) => c.name === name)?.expression ?? '?';
      return `${name} CHECK (${expression}): ${n} row(s)`;
    });
    return [
      {
        ...base,
        count: this.#rows,
        keys: this.#keys,
        message: `${this.#rows} row(s) break a CHECK constraint of ${target} (${which.join('; ')}): migrate refuses them before it loads anything`,
      },
    ];
  }
}
