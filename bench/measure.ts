/**
 * Runs one external command and measures it: wall clock, and the peak of the
 * summed resident memory (VmRSS) of the child and all its descendants.
 *
 * Why poll /proc instead of `/usr/bin/time -v`: time's "Maximum resident set
 * size" is getrusage's ru_maxrss, the peak of the single largest process, not
 * of the tree at one moment. `sh -c 'a | b'` or a CLI that forks workers would
 * be under-reported. Sampling every 50 ms can miss a spike shorter than that;
 * for loads that run seconds with steady buffers this is accurate enough.
 *
 * This kernel has no /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN is
 * off), so descendants are found from the ppid field of every /proc/<n>/stat.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface Measured {
  readonly label: string;
  /** null when the process was killed by a signal or never started. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly wallMs: number;
  readonly peakRssKb: number;
  /** Last few KB of stderr / stdout, for failure reasons and reports. */
  readonly stderrTail: string;
  readonly stdoutTail: string;
  /** Set when spawn itself failed (e.g. ENOENT). */
  readonly spawnError?: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Send stdout straight to this file (the child writes it; nothing passes through Node). */
  readonly stdoutFile?: string;
  readonly sampleMs?: number;
}

const TAIL = 8192;

function ppidOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // comm (field 2) is in parentheses and may contain spaces; fields after the last ')' are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined; // exited between readdir and read
  }
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sum of VmRSS over `root` and every descendant alive right now. */
export function treeRssKb(root: number): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const ppid = ppidOf(name);
    if (ppid === undefined) continue;
    const list = children.get(ppid);
    if (list) list.push(Number(name));
    else children.set(ppid, [Number(name)]);
  }
  let total = 0;
  const stack = [root];
  for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
    total += rssKb(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

function appendTail(tail: string, chunk: Buffer): string {
  const next = tail + chunk.toString('utf8');
  return next.length > TAIL ? next.slice(next.length - TAIL) : next;
}

export function runMeasured(
  label: string,
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<Measured> {
  return new Promise((resolvePromise) => {
    const outFd = opts.stdoutFile === undefined ? undefined : openSync(opts.stdoutFile, 'w');
    const started = performance.now();
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: ['ignore', outFd ?? 'pipe', 'pipe'],
    });
    let stderrTail = '';
    let stdoutTail = '';
    let peak = 0;
    let spawnError: string | undefined;
    const sample = (): void => {
      if (child.pid !== undefined) peak = Math.max(peak, treeRssKb(child.pid));
    };
    // First sample immediately: a fast command may finish before the first tick.
    setImmediate(sample);
    const timer = setInterval(sample, opts.sampleMs ?? 50);
    child.stderr?.on('data', (c: Buffer) => (stderrTail = appendTail(stderrTail, c)));
    child.stdout?.on('data', (c: Buffer) => (stdoutTail = appendTail(stdoutTail, c)));
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - started;
      clearInterval(timer);
      if (outFd !== undefined) closeSync(outFd);
      resolvePromise({
        label,
        code: spawnError === undefined ? code : null,
        signal,
        wallMs,
        peakRssKb: peak,
        stderrTail,
        stdoutTail,
        ...(spawnError === undefined ? {} : { spawnError }),
      });
    });
  });
}

/** One-line failure reason from a finished command, or undefined when it succeeded. */
export function failureOf(m: Measured): string | undefined {
  if (m.spawnError !== undefined) return `${m.label}: could not start (${m.spawnError})`;
  if (m.code === 0) return undefined;
  const why = m.signal !== null ? `killed by ${m.signal}` : `exit ${m.code}`;
  const lastLines = (m.stderrTail.trim() || m.stdoutTail.trim()).split('\n').slice(-3).join(' | ');
  return `${m.label}: ${why}${lastLines ? `: ${lastLines.slice(0, 400)}` : ''}`;
}
