import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI from source, as a user would run the built one, with a clean
 * environment and a deadline: a process that does not end within it is killed
 * and reported with code null. `asNobody` runs it as the unprivileged user
 * `nobody` (for permission tests when the suite runs as root).
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  opts: { asNobody?: boolean; timeoutMs?: number } = {},
): CliResult {
  const node = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args];
  const [cmd, ...argv] =
    opts.asNobody === true ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  const res = spawnSync(cmd as string, argv, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: opts.asNobody === true ? '/tmp' : (process.env.HOME ?? '/tmp'), ...env },
    timeout: opts.timeoutMs ?? 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

export interface RunningCli {
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(sig: NodeJS.Signals): void;
}

/** Starts the CLI from source in the background, for tests that signal or kill it. */
export function startCli(args: readonly string[]): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { done, kill: (sig) => child.kill(sig) };
}
