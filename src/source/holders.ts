import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

export interface FileHolder {
  readonly pid: number;
  readonly command: string;
}

export interface FindHoldersOptions {
  /**
   * Count every handle, read-only ones too. Reading a file needs only a live
   * writer kept away; moving it (archive) needs no one to have it open at all,
   * since a reader keeps reading the unlinked file and a later write by it goes
   * nowhere.
   */
  readonly anyHandle?: boolean;
}

/**
 * Processes that hold one of `paths` open for writing (or, with `anyHandle`,
 * open at all), found through /proc (Linux). A running aragora keeps its
 * database and `-wal` open read-write for the life of the process, so such a
 * handle is the sign of a live writer. Elsewhere (no /proc) the answer is
 * "none found", and the snapshot still reads consistently.
 */
export function findHolders(paths: readonly string[], opts: FindHoldersOptions = {}): FileHolder[] {
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
      if (wanted.has(target) && (opts.anyHandle === true || openForWriting(pid, fd))) {
        holders.push({ pid: Number(pid), command: commandOf(pid) });
        break;
      }
    }
  }
  return holders;
}

/**
 * Only a handle that can write makes a live writer: Aragora opens its files
 * read-write, while readers (another aragora-migrate, a backup tool) open them
 * read-only and change nothing. The access mode is the low two bits of the
 * octal `flags:` line in /proc/<pid>/fdinfo/<fd>.
 */
function openForWriting(pid: string, fd: string): boolean {
  try {
    const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    return m === null || (parseInt(m[1] ?? '0', 8) & 0o3) !== 0;
  } catch {
    return true;
  }
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120);
  } catch {
    return '?';
  }
}
