import { accessSync, chmodSync, constants, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirDurably } from '../../util/durable-file.js';
import type pg from 'pg';
import { ConfigError } from '../../errors.js';
import { tableRejects, tablesWithRejects } from '../../ledger/rejects.js';

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
 */
export async function writeRejectFiles(client: pg.Client, runId: string, dir: string): Promise<string[]> {
  const tables = await tablesWithRejects(client, runId);
  if (tables.length === 0) return [];
  const runDir = join(dir, runId);
  // Raw row values: readable by the operator alone.
  ensureDirDurably(runDir, 0o700);
  chmodSync(runDir, 0o700);
  const written: string[] = [];
  for (const t of tables) {
    const rows = await tableRejects(client, runId, t.source_file, t.source_table);
    const path = join(runDir, `${t.source_file.replaceAll('/', '__')}.${t.source_table}.rejects.jsonl`);
    const lines = rows.map((r) =>
      JSON.stringify({
        file: t.source_file,
        table: t.source_table,
        rowid: r.source_rowid,
        key: r.row_key,
        column: r.column_name,
        kind: r.kind,
        reason: r.reason,
        row: r.original,
      }),
    );
    writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    written.push(path);
  }
  return written;
}
