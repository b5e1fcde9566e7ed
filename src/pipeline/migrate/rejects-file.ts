import { accessSync, chmodSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { ConfigError } from '../../errors.js';

/**
 * Makes sure the reject dir can take the files before a row moves: created
 * (0700: reject files hold raw row values) and writable.
 */
export function prepareRejectDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (err: unknown) {
    throw new ConfigError('OUTPUT_UNWRITABLE', `cannot write reject files into ${dir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Writes the reject files of a run from the ledger: one JSON line per rejected
 * row (the original values, losslessly, with reason and key). Written whole
 * from the ledger at the end of every run, so a resumed run never duplicates
 * a line and a killed one never leaves a batch's rejects that did not commit.
 */
export async function writeRejectFiles(client: pg.Client, runId: string, dir: string): Promise<string[]> {
  const tables = await client.query<{ source_file: string; source_table: string }>(
    'SELECT DISTINCT source_file, source_table FROM aragora_migrate.rejects WHERE run_id = $1 ORDER BY 1, 2',
    [runId],
  );
  if (tables.rows.length === 0) return [];
  const runDir = join(dir, runId);
  // Raw row values: readable by the operator alone.
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  chmodSync(runDir, 0o700);
  const written: string[] = [];
  for (const t of tables.rows) {
    const rows = await client.query<{ source_rowid: string; row_key: string; column_name: string | null; kind: string; reason: string; original: unknown }>(
      `SELECT source_rowid, row_key, column_name, kind, reason, original FROM aragora_migrate.rejects
        WHERE run_id = $1 AND source_file = $2 AND source_table = $3 ORDER BY source_rowid`,
      [runId, t.source_file, t.source_table],
    );
    const path = join(runDir, `${t.source_file.replaceAll('/', '__')}.${t.source_table}.rejects.jsonl`);
    const lines = rows.rows.map((r) =>
      JSON.stringify({ file: t.source_file, table: t.source_table, rowid: r.source_rowid, key: r.row_key, column: r.column_name, kind: r.kind, reason: r.reason, row: r.original }),
    );
    writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    written.push(path);
  }
  return written;
}
