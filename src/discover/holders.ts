import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

export interface FileHolder {
  readonly pid: number;
  readonly command: string;
}

/**
 * Processes that hold one of `paths` open, found through /proc (Linux). A
 * running aragora keeps its database and `-wal` open for the life of the
 * process, so an open handle is the sign of a live writer. Elsewhere (no /proc)
 * the answer is "none found", and the snapshot still reads consistently.
 */
export function findHolders(paths: readonly string[]): FileHolder[] {
  const wanted = new Set<string>();
  for (const p of paths) {
    try {
      wanted.add(realpathSync(p));
    } catch {
      // A side file that does not exist cannot be held.
    }
  }
  if (wanted.size === 0) return [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const holders: FileHolder[] = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target)) {
        holders.push({ pid: Number(pid), command: commandOf(pid) });
        break;
      }
    }
  }
  return holders;
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120);
  } catch {
    return '?';
  }
}
