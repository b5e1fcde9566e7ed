import type { Task } from '../shared/tasks.js';

/** The tasks feeding one target table: they load one after another (the stage path reads what the previous one wrote). */
export type TaskGroup = readonly Task[];

/** Where a table's load stands in the ledger (src/ledger/run-tables.ts), undefined for a table it has no row for. */
export type TaskState = 'pending' | 'loading' | 'loaded' | 'failed' | undefined;

/**
 * The groups still to load, biggest first; in each, the task an earlier
 * process left half-loaded first (its rows are in the target already), then
 * by file. Tasks loaded already are left out, and so are groups with none left.
 */
export function pendingGroups(
  byTarget: ReadonlyMap<string, readonly Task[]>,
  stateOf: (t: Task) => TaskState,
): TaskGroup[] {
  const order = (t: Task): number => (stateOf(t) === 'loading' ? 0 : 1);
  const rows = (g: TaskGroup): number => g.reduce((n, t) => n + t.rows, 0);
  return [...byTarget.values()]
    .map((g) =>
      g
        .filter((t) => stateOf(t) !== 'loaded')
        .sort((a, b) => order(a) - order(b) || a.file.path.localeCompare(b.file.path)),
    )
    .filter((g) => g.length > 0)
    .sort((a, b) => rows(b) - rows(a));
}

export function targetOf(g: TaskGroup): string {
  return g[0]?.spec.target ?? '';
}

/**
 * Hands the groups out to the load's connections, in order, each once the
 * tables it references are loaded (keys that reference each other in a circle:
 * any order), and none after a failure or an abort. `signal` aborts on either,
 * so a table part way through stops after its current batch.
 */
export class GroupQueue {
  private readonly pending: TaskGroup[];
  private readonly finished: Set<string>;
  private running = 0;
  private wakeups: (() => void)[] = [];
  private firstFailure: unknown = null;
  private readonly abort = new AbortController();
  private readonly parentsOf: ReadonlyMap<string, ReadonlySet<string>>;

  /** `targets`: every target table of the run; those with no pending group count as loaded. */
  constructor(
    groups: readonly TaskGroup[],
    targets: Iterable<string>,
    parentsOf: ReadonlyMap<string, ReadonlySet<string>>,
  ) {
    this.parentsOf = parentsOf;
    this.pending = [...groups];
    this.finished = new Set([...targets].filter((t) => !groups.some((g) => targetOf(g) === t)));
  }

  /** Groups not handed out yet. */
  get size(): number {
    return this.pending.length;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** The first error a table stopped on, or null. */
  get failure(): unknown {
    return this.firstFailure;
  }

  /** A table failed, or an abort came: nothing more starts. */
  get stopped(): boolean {
    return this.firstFailure !== null || this.abort.signal.aborted;
  }

  /** Stops the load on an error; the first one is kept. */
  fail(err: unknown): void {
    this.firstFailure ??= err;
    this.abort.abort();
    this.wakeAll();
  }

  /** Stops the load on an abort (a signal). */
  interrupt(): void {
    this.abort.abort();
    this.wakeAll();
  }

  /** Runs `work` on one group after another until none is left (or the load stopped): one connection's share. */
  async drain(work: (g: TaskGroup) => Promise<void>): Promise<void> {
    for (let g = await this.next(); g !== undefined; g = await this.next()) {
      try {
        await work(g);
      } finally {
        this.running--;
        this.finished.add(targetOf(g));
        this.wakeAll();
      }
    }
  }

  private async next(): Promise<TaskGroup | undefined> {
    for (;;) {
      if (this.stopped || this.pending.length === 0) return undefined;
      const i = this.pending.findIndex((g) =>
        [...(this.parentsOf.get(targetOf(g)) ?? [])].every((p) => this.finished.has(p)),
      );
      // Keys that reference each other in a circle: load in any order.
      if (i >= 0 || this.running === 0) {
        this.running++;
        return this.pending.splice(Math.max(i, 0), 1)[0];
      }
      await new Promise<void>((resolve) => this.wakeups.push(resolve));
    }
  }

  private wakeAll(): void {
    for (const w of this.wakeups.splice(0)) w();
  }
}
