import type { PhaseTiming } from '../../report/migrate-report.js';

/**
 * Times a run's phases (snapshot and hashing, target tables, load, indexes and
 * keys, verify), so the summary says where the time went and the load's rows/s
 * counts the load alone, as pgloader's summary does.
 */
export class PhaseClock {
  readonly #phases: PhaseTiming[] = [];

  /** Runs `work` as phase `phase`; a phase met twice adds up. */
  async time<T>(phase: PhaseTiming['phase'], work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, (performance.now() - started) / 1000);
    }
  }

  add(phase: PhaseTiming['phase'], seconds: number): void {
    const i = this.#phases.findIndex((p) => p.phase === phase);
    const before = i >= 0 ? (this.#phases[i]?.seconds ?? 0) : 0;
    const entry = { phase, seconds: before + seconds };
    if (i >= 0) this.#phases[i] = entry;
    else this.#phases.push(entry);
  }

  toArray(): PhaseTiming[] {
    return [...this.#phases];
  }
}
