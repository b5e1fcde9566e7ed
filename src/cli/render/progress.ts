import cliProgress from 'cli-progress';
import { type PipelineEventMap, type Reporter } from '../../index.js';
import { formatBytes, formatCount } from './format.js';

export interface ProgressOptions {
  readonly quiet: boolean;
  readonly stream?: NodeJS.WriteStream;
  /** Seconds between lines when stderr is not a terminal. */
  readonly intervalSeconds?: number;
  readonly verb?: string;
}

/**
 * Turns pipeline events into progress on stderr: one bar per table with rows/s
 * and ETA on a terminal, a line every few seconds in a pipe or CI, nothing with
 * --quiet. stdout stays for results.
 */
export function progressReporter(opts: ProgressOptions): Reporter & { stop(): void } {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { emit: () => undefined, stop: () => undefined };
  const verb = opts.verb ?? 'reading';
  const warn = (p: PipelineEventMap['warn']): void => {
    stream.write(`warning: ${p.message}\n`);
  };

  if (stream.isTTY === true) {
    const multi = new cliProgress.MultiBar(
      {
        stream,
        clearOnComplete: false,
        hideCursor: true,
        format: ' {bar} {percentage}% | {name} | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}',
        barsize: 24,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const bars = new Map<string, { bar: cliProgress.SingleBar; started: number }>();
    return {
      emit(event, payload) {
        if (event === 'table:start') {
          const p = payload as PipelineEventMap['table:start'];
          bars.set(`${p.file}:${p.table}`, {
            bar: multi.create(Math.max(p.rows, 1), 0, { name: `${p.file} ${p.table}`, speed: '0' }),
            started: Date.now(),
          });
        } else if (event === 'table:rows') {
          const p = payload as PipelineEventMap['table:rows'];
          const b = bars.get(`${p.file}:${p.table}`);
          if (b !== undefined)
            b.bar.update(p.done, {
              speed: formatCount(Math.round(p.done / Math.max((Date.now() - b.started) / 1000, 0.001))),
            });
        } else if (event === 'table:done') {
          const p = payload as PipelineEventMap['table:done'];
          const b = bars.get(`${p.file}:${p.table}`);
          if (b !== undefined) {
            b.bar.setTotal(Math.max(p.rows, 1));
            b.bar.update(p.rows);
            b.bar.stop();
          }
        } else if (event === 'warn') {
          multi.log(`warning: ${(payload as PipelineEventMap['warn']).message}\n`);
        }
      },
      stop() {
        multi.stop();
      },
    };
  }

  const intervalMs = (opts.intervalSeconds ?? 5) * 1000;
  let last = 0;
  const totals = new Map<string, number>();
  return {
    emit(event, payload) {
      if (event === 'table:start') {
        const p = payload as PipelineEventMap['table:start'];
        totals.set(`${p.file}:${p.table}`, p.rows);
      } else if (event === 'table:rows') {
        const p = payload as PipelineEventMap['table:rows'];
        const now = Date.now();
        if (now - last < intervalMs) return;
        last = now;
        const total = totals.get(`${p.file}:${p.table}`) ?? 0;
        stream.write(
          `${verb} ${p.file} ${p.table}: ${formatCount(p.done)}/${formatCount(total)} rows, ${formatBytes(p.bytes)}\n`,
        );
      } else if (event === 'warn') {
        warn(payload as PipelineEventMap['warn']);
      }
    },
    stop: () => undefined,
  };
}
