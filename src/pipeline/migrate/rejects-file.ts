import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirDurably, writeStreamDurably } from '../../util/durable-file.js';
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
    const lines = async function* (): AsyncGenerator<string> {
      for await (const page of tableRejectPages(client, runId, t.source_file, t.source_table))
        yield page.map((r) => `${rejectLine(t, r)}\n`).join('');
    };
    await unwritable(path, () => writeStreamDurably(path, lines()));
    written.push(path);
  }
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

/**
 * Runs a file operation of the reject files; a failure of the file system (a
 * full disk, a folder gone read-only: an error with a `syscall`) as
 * OUTPUT_UNWRITABLE. The ledger's errors, read on the way, pass as they are.
 */
async function unwritable<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err: unknown) {
    if (typeof (err as { syscall?: unknown } | null)?.syscall !== 'string') throw err;
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
