import { describe, expect, it } from 'vitest';
import {
  GroupQueue,
  pendingGroups,
  targetOf,
  type TaskGroup,
  type TaskState,
} from '../../../../src/pipeline/migrate/group-queue.js';
import type { Task } from '../../../../src/pipeline/shared/tasks.js';

/** Just what the queue reads of a task: its file, its source and target table, its rows. */
const task = (path: string, source: string, target: string, rows: number): Task =>
  ({ file: { path }, spec: { source, target }, rows }) as unknown as Task;

const byTargetOf = (tasks: readonly Task[]): Map<string, Task[]> => {
  const m = new Map<string, Task[]>();
  for (const t of tasks) m.set(t.spec.target, [...(m.get(t.spec.target) ?? []), t]);
  return m;
};

describe('pendingGroups', () => {
  it('leaves loaded tasks out, puts a half-loaded one first, then by file; biggest group first', () => {
    const a1 = task('b.db', 'x', 'small', 5);
    const a2 = task('a.db', 'x', 'small', 5);
    const b1 = task('c.db', 'y', 'big', 100);
    const b2 = task('a.db', 'y', 'big', 100);
    const b3 = task('b.db', 'y', 'big', 100);
    const done = task('d.db', 'z', 'done', 1000);
    const states = new Map<Task, TaskState>([
      [b1, 'loading'],
      [b2, 'loaded'],
      [done, 'loaded'],
    ]);
    const groups = pendingGroups(byTargetOf([a1, a2, b1, b2, b3, done]), (t) => states.get(t));
    expect(groups.map((g) => g.map((t) => `${t.spec.target}:${t.file.path}`))).toEqual([
      ['big:c.db', 'big:b.db'],
      ['small:a.db', 'small:b.db'],
    ]);
  });
});

/** Runs the queue on `jobs` drains; each group's work waits for `release(target)`. Returns the start order. */
function harness(groups: TaskGroup[], targets: string[], parents: Record<string, string[]>, jobs: number) {
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  const queue = new GroupQueue(
    groups,
    targets,
    new Map(Object.entries(parents).map(([k, v]) => [k, new Set(v)] as const)),
  );
  const work = async (g: TaskGroup): Promise<void> => {
    started.push(targetOf(g));
    await new Promise<void>((resolve) => gates.set(targetOf(g), resolve));
  };
  const drained = Promise.all(Array.from({ length: jobs }, (_, i) => queue.drain(`connection ${i + 1}`, work)));
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
  const release = async (target: string): Promise<void> => {
    await tick();
    gates.get(target)?.();
    await tick();
  };
  return { queue, started, release, drained, tick };
}

describe('GroupQueue', () => {
  it('starts a group only once the tables it references are loaded', async () => {
    const child = [task('a.db', 'c', 'child', 10)];
    const parent = [task('a.db', 'p', 'parent', 1)];
    const other = [task('a.db', 'o', 'other', 5)];
    const h = harness([child, other, parent], ['child', 'parent', 'other'], { child: ['parent'] }, 2);
    await h.tick();
    expect(h.started).toEqual(['other', 'parent']);
    await h.release('parent');
    expect(h.started).toEqual(['other', 'parent', 'child']);
    await h.release('other');
    await h.release('child');
    await h.drained;
  });

  it('counts a target with nothing left to load as loaded', async () => {
    const child = [task('a.db', 'c', 'child', 10)];
    const h = harness([child], ['child', 'parent'], { child: ['parent'] }, 1);
    await h.tick();
    expect(h.started).toEqual(['child']);
    await h.release('child');
    await h.drained;
  });

  it('loads tables that reference each other in a circle in any order', async () => {
    const a = [task('a.db', 'a', 'a', 1)];
    const b = [task('a.db', 'b', 'b', 1)];
    const h = harness([a, b], ['a', 'b'], { a: ['b'], b: ['a'] }, 2);
    await h.tick();
    expect(h.started).toEqual(['a']);
    await h.release('a');
    expect(h.started).toEqual(['a', 'b']);
    await h.release('b');
    await h.drained;
  });

  it('starts nothing more after a failure, keeps the first error, and aborts its signal', async () => {
    const groups = [[task('a.db', 'a', 'a', 3)], [task('a.db', 'b', 'b', 2)], [task('a.db', 'c', 'c', 1)]];
    const h = harness(groups, ['a', 'b', 'c'], {}, 1);
    await h.tick();
    const first = new Error('first');
    h.queue.fail(first);
    h.queue.fail(new Error('second'));
    expect(h.queue.signal.aborted).toBe(true);
    expect(h.queue.stopped).toBe(true);
    await h.release('a');
    await h.drained;
    expect(h.started).toEqual(['a']);
    expect(h.queue.failure).toBe(first);
  });

  it('starts nothing more after an interruption, with no failure', async () => {
    const groups = [[task('a.db', 'a', 'a', 2)], [task('a.db', 'b', 'b', 1)]];
    const h = harness(groups, ['a', 'b'], {}, 1);
    await h.tick();
    h.queue.interrupt();
    await h.release('a');
    await h.drained;
    expect(h.started).toEqual(['a']);
    expect(h.queue.failure).toBeNull();
  });
});

describe('GroupQueue.spread', () => {
  /** Two connections, two groups; `big` spreads `jobs` once loaded, while `small` is still loading. */
  async function spreadWhile(
    jobs: ((conn: string) => Promise<void>)[],
  ): Promise<{ spread: Promise<void>; releaseSmall: () => void; drained: Promise<void[]> }> {
    const queue = new GroupQueue<string>(
      [[task('a.db', 'b', 'big', 10)], [task('a.db', 's', 'small', 1)]],
      ['big', 'small'],
      new Map(),
    );
    let spread: Promise<void> = Promise.resolve();
    let releaseSmall = (): void => undefined;
    const smallLoaded = new Promise<void>((r) => (releaseSmall = r));
    const work = async (g: TaskGroup): Promise<void> => {
      if (targetOf(g) === 'small') return smallLoaded;
      spread = queue.spread('connection 1', jobs);
      await spread.catch(() => undefined);
    };
    const drained = Promise.all([queue.drain('connection 1', work), queue.drain('connection 2', work)]);
    await new Promise((r) => setTimeout(r, 0));
    return { spread, releaseSmall, drained };
  }

  it("runs a group's jobs on the connections free for them, and ends once every one has ended", async () => {
    const ran: string[] = [];
    let ended = 0;
    const gates: (() => void)[] = [];
    const job = (name: string) => async (conn: string) => {
      ran.push(`${name} on ${conn}`);
      await new Promise<void>((r) => gates.push(r));
      ended++;
    };
    const h = await spreadWhile([job('i1'), job('i2'), job('i3')]);
    // connection 2 is loading `small`: connection 1 runs the first job itself.
    expect(ran).toEqual(['i1 on connection 1']);
    h.releaseSmall();
    await new Promise((r) => setTimeout(r, 0));
    // `small` is done: connection 2 takes the next job while connection 1 still builds.
    expect(ran).toEqual(['i1 on connection 1', 'i2 on connection 2']);
    let spreadEnded = false;
    void h.spread.then(() => (spreadEnded = true));
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    }
    await h.spread;
    expect(spreadEnded).toBe(true);
    expect(ended).toBe(3);
    expect(ran).toHaveLength(3);
    await h.drained;
  });

  it('rejects with the first error and starts none of the jobs after it', async () => {
    const ran: string[] = [];
    const job = (name: string, fails: boolean) => async (conn: string) => {
      ran.push(`${name} on ${conn}`);
      await new Promise((r) => setTimeout(r, 0));
      if (fails) throw new Error(`${name} failed`);
    };
    const h = await spreadWhile([job('i1', true), job('i2', false), job('i3', false)]);
    await expect(h.spread).rejects.toThrow('i1 failed');
    h.releaseSmall();
    await h.drained;
    expect(ran).toEqual(['i1 on connection 1']);
  });
});

describe('GroupQueue.othersWorking', () => {
  it('tells a connection whether the server works for the load elsewhere: a table loading, a job running, or a job about to be taken', async () => {
    const queue = new GroupQueue<string>(
      [[task('a.db', 'b', 'big', 10)], [task('a.db', 's', 'small', 1)]],
      ['big', 'small'],
      new Map(),
    );
    const seen: string[] = [];
    let releaseSmall = (): void => undefined;
    const smallLoaded = new Promise<void>((r) => (releaseSmall = r));
    const gates: (() => void)[] = [];
    const job = (name: string) => async (conn: string) => {
      seen.push(`${name} on ${conn}: ${String(queue.othersWorking(conn))}`);
      await new Promise<void>((r) => gates.push(r));
    };
    const work = async (g: TaskGroup): Promise<void> => {
      if (targetOf(g) === 'small') return smallLoaded;
      await new Promise((r) => setTimeout(r, 0));
      seen.push(`big keys: ${String(queue.othersWorking('connection 1'))}`);
      releaseSmall();
      await new Promise((r) => setTimeout(r, 0));
      // `small` is loaded and connection 2 waits with nothing to do: the build has the server alone.
      seen.push(`big keys after small: ${String(queue.othersWorking('connection 1'))}`);
      await queue.spread('connection 1', [job('i1'), job('i2')]);
    };
    const drained = Promise.all([queue.drain('connection 1', work), queue.drain('connection 2', work)]);
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    }
    await drained;
    expect(seen).toEqual([
      // connection 2 is loading `small`.
      'big keys: true',
      'big keys after small: false',
      // i2 waits for connection 2, which is about to take it; then connection 1 builds i1.
      'i1 on connection 1: true',
      'i2 on connection 2: true',
    ]);
  });

  it('leaves a lone connection alone, whatever it has queued', async () => {
    const queue = new GroupQueue<string>([[task('a.db', 'b', 'big', 10)]], ['big'], new Map());
    const seen: boolean[] = [];
    const job = async (conn: string): Promise<void> => void seen.push(queue.othersWorking(conn));
    await queue.drain('connection 1', () => queue.spread('connection 1', [job, job, job]));
    expect(seen).toEqual([false, false, false]);
  });
});
