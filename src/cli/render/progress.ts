import { type PipelineEventMap, type Reporter } from '../../index.js';
import { formatCount, formatDuration } from './format.js';

export interface ProgressOptions {
  readonly quiet: boolean;
  readonly stream?: NodeJS.WriteStream;
  /** Seconds between lines when stderr is not a terminal. */
  readonly intervalSeconds?: number;
  /** What the command does before its first phase event (plan: profiling). */
  readonly verb?: string;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/** One table being worked on now. */
interface Active {
  readonly name: string;
  readonly total: number;
  done: number;
  readonly started: number;
}

/** What the display knows: the phase, its totals, and the tables in progress. */
export interface ProgressState {
  phase: string;
  /** Rows of the phase in all; grows with each table when the phase did not say (plan). */
  total: number;
  /** Whether `total` was given up front (an ETA needs it). */
  totalKnown: boolean;
  /** Rows done by tables finished in this phase. */
  finished: number;
  phaseStarted: number;
  readonly active: Map<string, Active>;
}

const BAR = 20;

/**
 * One frame of the display, as lines no wider than `width`: the phase's
 * overall bar (rows, rows/s, ETA), then a line per table in progress, as many
 * as fit in `height`. Finished and not-yet-started tables have no line, and a
 * 0-row table none either, so nothing stale or meaningless stays on screen.
 */
export function progressFrame(state: ProgressState, now: number, width: number, height: number): string[] {
  const done = state.finished + [...state.active.values()].reduce((n, a) => n + a.done, 0);
  const seconds = Math.max((now - state.phaseStarted) / 1000, 0.001);
  const rate = done / seconds;
  const total = Math.max(state.total, done);
  const eta =
    state.totalKnown && rate > 0 && done > 0 && done < total ? ` | ETA ${formatDuration((total - done) / rate)}` : '';
  const lines = [
    fit(
      `${state.phase} ${bar(done, total)} ${percent(done, total)} | ${formatCount(done)}/${formatCount(total)} rows | ${formatCount(Math.round(rate))} rows/s${eta}`,
      width,
    ),
  ];
  const room = Math.max(height - 2, 0);
  const shown = [...state.active.values()].filter((a) => a.total > 0);
  for (const a of shown.slice(0, room)) {
    const tableRate = a.done / Math.max((now - a.started) / 1000, 0.001);
    const tail = ` ${percent(a.done, a.total)} ${formatCount(a.done)}/${formatCount(a.total)} ${formatCount(Math.round(tableRate))} rows/s`;
    lines.push(
      // Indent, the bar with its brackets and a space: BAR + 5 columns; the name gives way, from its start.
      fit(`  ${bar(a.done, a.total)} ${fitLeft(a.name, Math.max(width - BAR - 5 - tail.length, 8))}${tail}`, width),
    );
  }
  if (shown.length > room && room > 0)
    lines[lines.length - 1] = fit(`  … and ${shown.length - room + 1} more tables`, width);
  return lines;
}

/** The line a pipe or a CI log gets every few seconds: the phase's totals. */
export function progressLine(state: ProgressState, now: number): string {
  return progressFrame(state, now, Number.MAX_SAFE_INTEGER, 1)[0]?.replace(/ \[[#-]+\]/, '') ?? '';
}

function bar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR, Math.floor((done / total) * BAR)) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}]`;
}

function percent(done: number, total: number): string {
  return `${total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0}%`.padStart(4);
}

/** Cut from the start: a table's own name, at the end, says more than its file's. */
function fitLeft(text: string, width: number): string {
  return text.length <= width ? text : `…${text.slice(text.length - Math.max(width - 1, 0))}`;
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(width - 1, 0))}…`;
}

/** Folds pipeline events into the display's state. */
export function applyEvent<K extends keyof PipelineEventMap>(
  state: ProgressState,
  event: K,
  payload: PipelineEventMap[K],
  now: number,
): void {
  if (event === 'phase') {
    const p = payload as PipelineEventMap['phase'];
    state.phase = p.phase;
    state.total = p.rows;
    state.totalKnown = p.rows > 0;
    state.finished = 0;
    state.phaseStarted = now;
    state.active.clear();
  } else if (event === 'table:start') {
    const p = payload as PipelineEventMap['table:start'];
    state.active.set(`${p.file}\0${p.table}`, { name: `${p.file} ${p.table}`, total: p.rows, done: 0, started: now });
    if (!state.totalKnown) state.total += p.rows;
  } else if (event === 'table:rows') {
    const p = payload as PipelineEventMap['table:rows'];
    const a = state.active.get(`${p.file}\0${p.table}`);
    if (a !== undefined) a.done = p.done;
  } else if (event === 'table:done') {
    const p = payload as PipelineEventMap['table:done'];
    const key = `${p.file}\0${p.table}`;
    const a = state.active.get(key);
    state.finished += a === undefined ? p.rows : Math.max(a.done, a.total, p.rows);
    state.active.delete(key);
  }
}

/**
 * Turns pipeline events into progress on stderr: on a terminal, one overall
 * bar for the phase and a line per table in progress, redrawn in place and
 * fitted to the terminal's width and height; in a pipe or CI, a line with the
 * phase's totals every few seconds; nothing with --quiet. stdout stays for results.
 */
export function progressReporter(opts: ProgressOptions): Reporter & { stop(): void } {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { emit: () => undefined, stop: () => undefined };
  const now = opts.now ?? Date.now;
  const state: ProgressState = {
    phase: opts.verb ?? 'reading',
    total: 0,
    totalKnown: false,
    finished: 0,
    phaseStarted: now(),
    active: new Map(),
  };
  const tty = stream.isTTY === true;
  const intervalMs = tty ? 100 : (opts.intervalSeconds ?? 5) * 1000;
  let drawn = 0;
  let last = 0;
  let stopped = false;

  // Up over the frame, erase it line by line, and back up: line erases (EL), not an
  // erase-below (ED), which some terminals (tmux) turn into scrollback when the
  // frame starts at the top of the screen.
  const clear = (): void => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\r${'\x1b[2K\n'.repeat(drawn)}\x1b[${drawn}A`);
    drawn = 0;
  };
  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - last < intervalMs) return;
    last = t;
    if (!tty) {
      stream.write(`${progressLine(state, t)}\n`);
      return;
    }
    const lines = progressFrame(state, t, Math.max((stream.columns ?? 80) - 1, 20), Math.max(stream.rows ?? 24, 3));
    clear();
    stream.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };

  return {
    emit(event, payload) {
      if (stopped) return;
      if (event === 'warn') {
        if (tty) clear();
        stream.write(`warning: ${(payload as PipelineEventMap['warn']).message}\n`);
        if (tty) draw(true);
        return;
      }
      applyEvent(state, event, payload, now());
      // A new phase shows at once; so does its end of a table, so no finished table lingers.
      draw(event === 'phase' || (tty && event === 'table:done'));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      // The display goes; the report that follows on stdout says how it ended.
      if (tty) clear();
    },
  };
}
