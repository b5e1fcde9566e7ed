import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordBatch, type BatchRecord } from '../../../../src/ledger/batches.js';
import { createRun } from '../../../../src/ledger/runs.js';
import { markTableLoading, type RunTableKey } from '../../../../src/ledger/run-tables.js';
import { ensureLedger } from '../../../../src/ledger/schema.js';
import { rejectFileName, writeRejectFiles } from '../../../../src/pipeline/migrate/rejects-file.js';
import { withTransaction } from '../../../../src/target/transaction.js';
import { tempDir } from '../../../helpers/files.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

/**
 * The reject files a run ends with, written from the ledger. They were read
 * whole and written in one string: 300,000 rejected rows of 1 kB took the
 * run to 1.7 GB, and a disk that filled up left a half file under the final
 * name and a stack trace (exit 1). A table named with a `/` (SQLite allows
 * it) put its file outside the run's folder.
 */
const ROWS = 1201;
const TABLE = 'notes/../../escaped';

async function ledgerWithRejects(url: string): Promise<void> {
  await withPg(url, async (c) => {
    await c.query('DROP SCHEMA IF EXISTS aragora_migrate CASCADE');
    await ensureLedger(c);
    await createRun(
      c,
      { runId: 'r1', instance: 'i', host: 'h', dataDir: '/data', schema: 'public', toolVersion: 'test', options: {} },
      [{ path: 'a.db', sizeBytes: 4096, sha256: 'sha-a', walBytes: 0, walSha256: null, identity: null }],
      [{ file: 'a.db', table: TABLE, target: 'notes', rows: ROWS }],
    );
    const at: RunTableKey = { runId: 'r1', file: 'a.db', table: TABLE };
    await markTableLoading(c, at, true);
    // Three batches, rejects out of rowid order within each.
    for (const [first, last] of [
      [1, 500],
      [501, 1000],
      [1001, ROWS],
    ] as const) {
      const rejects = Array.from({ length: last - first + 1 }, (_, i) => last - i).map((rowid) => ({
        rowid: String(rowid),
        key: String(rowid),
        col: 'v',
        kind: 'type_mismatch',
        reason: 'not a number',
        original: { v: { text: `x${rowid}` } },
      }));
      const record: BatchRecord = {
        firstRowid: String(first),
        lastRowid: String(last),
        rowsRead: rejects.length,
        rowsLoaded: 0,
        rowsMerged: 0,
        digest: `d${first}`,
        rowDigest: null,
        loadedKeys: [],
        rejects,
        repairs: [],
        repairedRows: 0,
        bytes: 10,
        seconds: 0,
      };
      await withTransaction(c, (tx) => recordBatch(tx, at, record));
    }
  });
}

describe('reject files', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('reject_files');
    await ledgerWithRejects(db.url);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('hold every rejected row once, in rowid order, in a file inside the run folder whatever the table is named', async () => {
    const dir = tempDir('reject-files');
    const written = await withPg(db.url, (c) => writeRejectFiles(c, 'r1', dir));
    expect(written).toEqual([join(dir, 'r1', 'a.db.notes__..__..__escaped.rejects.jsonl')]);
    expect(readdirSync(join(dir, 'r1'))).toEqual(['a.db.notes__..__..__escaped.rejects.jsonl']);
    const lines = readFileSync(written[0] as string, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { rowid: string; table: string; row: unknown });
    expect(lines.map((l) => Number(l.rowid))).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    expect(lines[0]).toMatchObject({ table: TABLE, row: { v: { text: 'x1' } } });
  });

  it('a file that cannot be written stops with OUTPUT_UNWRITABLE and leaves no part of it behind', async () => {
    const dir = tempDir('reject-files');
    // The final name is taken by a folder: the file cannot be moved into place.
    mkdirSync(join(dir, 'r1', 'a.db.notes__..__..__escaped.rejects.jsonl'), { recursive: true });
    const failed = await withPg(db.url, (c) => writeRejectFiles(c, 'r1', dir).catch((e: unknown) => e));
    expect(failed).toMatchObject({ code: 'OUTPUT_UNWRITABLE', exitCode: 2 });
    expect((failed as Error).message).toContain("the run's rows are committed");
    expect(readdirSync(join(dir, 'r1'))).toEqual(['a.db.notes__..__..__escaped.rejects.jsonl']);
  });

  it('names past what a file system takes are cut, with a hash that keeps two apart', () => {
    const a = rejectFileName('a.db', `${'é'.repeat(300)}a`);
    const b = rejectFileName('a.db', `${'é'.repeat(300)}b`);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(255);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^a\.db\.é+~[0-9a-f]{12}\.rejects\.jsonl$/);
  });
});
