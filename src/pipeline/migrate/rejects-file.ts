import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ensureDirDurably, fsyncDir, partialPathFor } from '../../util/durable-file.js';
import type pg from 'pg';
import { ConfigError } from '../../errors.js';
import { tableRejectPages, tablesWithRejects, type RejectRow } from '../../ledger/rejects.js';

/**
 * Makes sure the reject dir can take the files before a row moves: created
 * (0700: reject files hold raw row values) and writable.
 */
export function prepareRejectDir(dir: string): void {
  try {
    // One folder at a time, not mkdirSync's `recursive`, which under /proc
    // never returns: Node retries the ENOENT it gets there without end.
    ensureDirDurably(dir, 0o700);
    if (!statSync(dir).isDirectory()) throw new Error('it is not a folder');
    accessSync(dir, constants.W_OK);
  } catch (err: unknown) {
    throw new ConfigError(
      'OUTPUT_UNWRITABLE',
      `cannot write reject files into ${dir}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/**
 * Writes the reject files of a run from the ledger: one JSON line per rejected
 * row (the original values, losslessly, with reason and key). Written whole
 * from the ledger at the end of every run, so a resumed run never duplicates
 * a line and a killed one never leaves a batch's rejects that did not commit.
 * Each file is streamed a page of rows at a time into a partial file and
 * moved into place once complete (src/util/durable-file.ts): a disk that
 * fills up leaves no half file under the final name, and the run stops with
 * OUTPUT_UNWRITABLE instead of a stack trace; its rows are committed, and the
 * same command writes the files again.
 */
export async function writeRejectFiles(client: pg.Client, runId: string, dir: string): Promise<string[]> {
  const tables = await tablesWithRejects(client, runId);
  if (tables.length === 0) return [];
  const runDir = join(dir, runId);
  const written: string[] = [];
  await unwritable(runDir, async () => {
    // Raw row values: readable by the operator alone.
    ensureDirDurably(runDir, 0o700);
    chmodSync(runDir, 0o700);
  });
  for (const t of tables) {
    const path = join(runDir, rejectFileName(t.source_file, t.source_table));
    const partial = partialPathFor(path);
    let fd: number | null = null;
    try {
      fd = await unwritable(path, async () => openSync(partial, 'w', 0o600));
      for await (const page of tableRejectPages(client, runId, t.source_file, t.source_table)) {
        const text = page.map((r) => `${rejectLine(t, r)}\n`).join('');
        const out = fd;
        await unwritable(path, async () => writeAll(out, Buffer.from(text)));
      }
      const done = fd;
      await unwritable(path, async () => {
        fsyncSync(done);
        closeSync(done);
        fd = null;
        renameSync(partial, path);
        chmodSync(path, 0o600);
      });
    } finally {
      if (fd !== null) closeSync(fd);
      rmSync(partial, { force: true });
    }
    written.push(path);
  }
  await unwritable(runDir, async () => fsyncDir(runDir));
  return written;
}

function rejectLine(t: { source_file: string; source_table: string }, r: RejectRow): string {
  return JSON.stringify({
    file: t.source_file,
    table: t.source_table,
    rowid: r.source_rowid,
    key: r.row_key,
    column: r.column_name,
    kind: r.kind,
    reason: r.reason,
    row: r.original,
  });
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}

/** Bytes of a reject file's name before `.rejects.jsonl`; longer ones are cut, with a hash of the whole. */
const NAME_BYTES = 200;

/**
 * `<file>.<table>.rejects.jsonl`, one name in the run's folder: every `/` of
 * the file's path and of the table's name (SQLite allows it in a name) is
 * `__`, so no name reaches outside the folder, and a name past what a file
 * system takes (255 bytes) is cut, with a hash that keeps it apart.
 */
export function rejectFileName(file: string, table: string): string {
  const name = `${file}.${table}`.replaceAll('/', '__');
  if (Buffer.byteLength(name) <= NAME_BYTES) return `${name}.rejects.jsonl`;
  const cut = Buffer.from(name)
    .subarray(0, NAME_BYTES - 13)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}~${createHash('sha256').update(name).digest('hex').slice(0, 12)}.rejects.jsonl`;
}

/** Runs a file operation of the reject files; its failure (a full disk, a folder gone read-only) as OUTPUT_UNWRITABLE. */
async function unwritable<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err: unknown) {
    throw new ConfigError(
      'OUTPUT_UNWRITABLE',
      `cannot write the reject file ${path}: ${err instanceof Error ? err.message : String(err)}; the run's rows are committed, and its reject files are written again from the ledger`,
      {
        cause: err,
        hint: 'Free space where the reject files go (or pass another --reject-dir), then run the same command again: it finds the run loaded and writes its reject files.',
      },
    );
  }
}
