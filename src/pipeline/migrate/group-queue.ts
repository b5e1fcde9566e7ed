import type { Task } from '../shared/tasks.js';

/**
 * A statement of a table's finish that any load connection may run: the
 * table's index builds, spread over the connections that have no table to
 * load, so the server builds several at once (CREATE INDEX takes a SHARE
 * lock, which does not conflict with itself) instead of one after another
 * while the others idle.
 */
export type SpareJob<C> = (client: C) => Promise<void>;

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
 * Hands the groups out to the load's connections (`C`), in order, each once
 * the tables it references are loaded (keys that reference each other in a
 * circle: any order), and none after a failure or an abort. `signal` aborts on
 * either, so a table part way through stops after its current batch. A
 * connection with no group to take runs the spare jobs of the groups still
 * running (`spread`) instead of idling.
 */
export class GroupQueue<C = unknown> {
  private readonly pending: TaskGroup[];
  private readonly spare: SpareJob<C>[] = [];
  private readonly finished: Set<string>;
  private running = 0;
  /** The connections loading a group or running a spare job right now. */
  private readonly working = new Set<C>();
  /** Connections waiting for a group or a spare job. */
  private idle = 0;
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

  /**
   * Runs `work` on one group after another on `client` until none is left (or
   * the load stopped), and between them the spare jobs of groups others are
   * running: one connection's share.
   */
  async drain(client: C, work: (g: TaskGroup) => Promise<void>): Promise<void> {
    for (let next = await this.next(); next !== undefined; next = await this.next()) {
      this.working.add(client);
      if (typeof next === 'function') {
        await next(client); // settles its owner's promise; never throws
        this.working.delete(client);
        continue;
      }
      try {
        await work(next);
      } finally {
        this.working.delete(client);
        this.running--;
        this.finished.add(targetOf(next));
        this.wakeAll();
      }
    }
  }

  /**
   * Whether the server works for the load on a connection other than
   * `client` now: one loads a table or runs a spare job, or a waiting one is
   * about to take a spare job left.
   */
  othersWorking(client: C): boolean {
    if (this.spare.length > 0 && this.idle > 0) return true;
    for (const c of this.working) if (c !== client) return true;
    return false;
  }

  /**
   * Runs `jobs` for a group `client` is running: the connections with nothing
   * else to do take some, `client` runs the rest, and this resolves once every
   * one has ended, or rejects with the first error (the rest are then not started).
   */
  async spread(client: C, jobs: readonly SpareJob<C>[]): Promise<void> {
    let failed = false;
    const ends: Promise<void>[] = [];
    const mine = new Set(
      jobs.map((job) => {
        let run: SpareJob<C> = () => Promise.resolve();
        ends.push(
          new Promise<void>((resolve, reject) => {
            run = (c) =>
              failed
                ? Promise.resolve(resolve())
                : job(c).then(resolve, (err: unknown) => {
                    failed = true;
                    reject(err);
                  });
          }),
        );
        return run;
      }),
    );
    this.spare.push(...mine);
    this.wakeAll();
    for (let i = this.spare.findIndex((j) => mine.has(j)); i >= 0; i = this.spare.findIndex((j) => mine.has(j))) {
      const [job] = this.spare.splice(i, 1);
      if (job !== undefined) await job(client);
    }
    // Waiting on the jobs others took, `client` works on nothing itself.
    const was = this.working.delete(client);
    try {
      await Promise.all(ends);
    } finally {
      if (was) this.working.add(client);
    }
  }

  private async next(): Promise<TaskGroup | SpareJob<C> | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      const i = this.pending.findIndex((g) =>
        [...(this.parentsOf.get(targetOf(g)) ?? [])].every((p) => this.finished.has(p)),
      );
      // Keys that reference each other in a circle: load in any order.
      if (i >= 0 || (this.running === 0 && this.pending.length > 0)) {
        this.running++;
        return this.pending.splice(Math.max(i, 0), 1)[0];
      }
      const job = this.spare.shift();
      if (job !== undefined) return job;
      // Spare jobs only come from running groups.
      if (this.running === 0) return undefined;
      this.idle++;
      await new Promise<void>((resolve) => this.wakeups.push(resolve));
      this.idle--;
    }
  }

  private wakeAll(): void {
    for (const w of this.wakeups.splice(0)) w();
  }
}
