import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import {
  loadedRowDigest,
  recordBatch,
  recordBatchStatement,
  textArrayLiteral,
  type BatchRecord,
} from '../../../src/ledger/batches.js';
import { recordCreatedTable } from '../../../src/ledger/created-tables.js';
import { tableRejects, tablesWithRejects } from '../../../src/ledger/rejects.js';
import {
  markTableFailed,
  markTableLoaded,
  markTableLoading,
  type RunTableKey,
} from '../../../src/ledger/run-tables.js';
import { createRun, runWithFileHashes, setRunState } from '../../../src/ledger/runs.js';
import { tableProgress } from '../../../src/ledger/run-tables.js';
import { recordSchemaChange, reportedSchemaChanges } from '../../../src/ledger/schema-changes.js';
import { ensureLedger } from '../../../src/ledger/schema.js';
import { withTransaction } from '../../../src/target/transaction.js';
import type { FileHash } from '../../../src/source/source-hash.js';
import { withPg } from '../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

const files: FileHash[] = [
  { path: 'a.db', sizeBytes: 4096, sha256: 'sha-a', walBytes: 0, walSha256: null, identity: null },
];
const at: RunTableKey = { runId: 'r1', file: 'a.db', table: 'items' };

async function newRun(c: pg.Client, runId = 'r1', sha = 'sha-a'): Promise<void> {
  await createRun(
    c,
    { runId, instance: 'i', host: 'h', dataDir: '/data', schema: 'public', toolVersion: 'test', options: {} },
    files.map((f) => ({ ...f, sha256: sha })),
    [{ file: 'a.db', table: 'items', target: 'items', rows: 3 }],
  );
}

const batch = (first: number, last: number, extra: Partial<BatchRecord> = {}): BatchRecord => ({
  firstRowid: String(first),
  lastRowid: String(last),
  rowsRead: last - first + 1,
  rowsLoaded: last - first + 1,
  rowsMerged: 0,
  digest: `d${first}`,
  rowDigest: null,
  loadedKeys: [String(first)],
  rejects: [],
  repairs: [],
  repairedRows: 0,
  bytes: 10,
  seconds: 0.5,
  ...extra,
});

async function count(c: pg.Client, table: string): Promise<number> {
  return Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM aragora_migrate.${table}`)).rows[0]?.n);
}

describe('ledger: a load and its checkpoints', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('ledger_checkpoints');
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    await withPg(db.url, async (c) => {
      await c.query('DROP SCHEMA IF EXISTS aragora_migrate CASCADE');
      await ensureLedger(c);
    });
  });

  it('createRun writes the run, its files and its tables, or nothing', async () => {
    await withPg(db.url, async (c) => {
      await newRun(c);
      expect((await tableProgress(c, 'r1')).map((p) => [p.source_table, p.state, p.rows_source])).toEqual([
        ['items', 'pending', '3'],
      ]);
      // The same id again: refused as a whole, nothing of it is left.
      await expect(newRun(c)).rejects.toMatchObject({ code: '23505' });
      expect(await count(c, 'runs')).toBe(1);
      expect(await count(c, 'run_files')).toBe(1);
      expect(await count(c, 'run_tables')).toBe(1);
    });
  });

  it('recordBatch stores keys given as a text[] literal built in the worker exactly, and sums the row digests per plan', async () => {
    await withPg(db.url, async (c) => {
      await newRun(c);
      await markTableLoading(c, at, true);
      const keys = ['1', 'a"b', 'back\\slash', '', 'NULL', '{braces}', 'ünïcødé ✓', 'comma,space x'];
      const plan = 'p1';
      await withTransaction(c, (tx) =>
        recordBatch(
          tx,
          at,
          batch(1, 8, { loadedKeys: textArrayLiteral(keys), rowDigest: { digest: '2:0000000100000002', plan } }),
        ),
      );
      await withTransaction(c, (tx) =>
        recordBatch(tx, at, batch(9, 9, { rowDigest: { digest: '1:ffffffffffffffff', plan } })),
      );
      const b = await c.query<{ loaded_keys: string[] }>(
        'SELECT loaded_keys FROM aragora_migrate.batches ORDER BY batch_no LIMIT 1',
      );
      expect(b.rows[0]?.loaded_keys).toEqual(keys);
      // The sum wraps at 2^64, as the server's sum does.
      expect((await loadedRowDigest(c, at, plan))?.toString()).toBe('3:0000000100000001');
      // Another plan, or a batch without a digest (through the stage): the source is converted again.
      expect(await loadedRowDigest(c, at, 'p2')).toBeNull();
      await withTransaction(c, (tx) => recordBatch(tx, at, batch(10, 10)));
      expect(await loadedRowDigest(c, at, plan)).toBeNull();
    });
  });

  it('recordBatchStatement, the checkpoint written into a query string, records what recordBatch records', async () => {
    await withPg(db.url, async (c) => {
      await newRun(c);
      await markTableLoading(c, at, true);
      const keys = ['1', "it's", '$am$', 'ends $am', 'a"b', 'back\\slash', 'ünïcødé ✓'];
      const rejects = [
        {
          rowid: '2',
          key: '$am$',
          col: 'v',
          kind: 'json_invalid',
          reason: "can't \\ parse $$",
          original: { v: '{"a":' },
        },
      ];
      const repairs = [{ rowid: '1', key: "it's", col: 'w', kind: 'nul_byte', original: { text_base64: 'YQBi' } }];
      const record = batch(1, 7, {
        loadedKeys: textArrayLiteral(keys),
        rejects,
        repairs,
        repairedRows: 1,
        rowDigest: { digest: '7:00000000000000ff', plan: 'p$am$1' },
      });
      const statement = recordBatchStatement(at, record);
      expect(statement).not.toBeNull();
      // The same batch recorded each way, each in a transaction that is then rolled back, and what it wrote read inside it.
      const recorded = async (write: (tx: pg.Client) => Promise<unknown>): Promise<unknown> => {
        await c.query('BEGIN');
        try {
          await write(c);
          const b = await c.query(
            `SELECT batch_no, first_rowid, last_rowid, rows_read, rows_loaded, rows_rejected, digest, loaded_keys, row_digest, digest_plan,
                    (SELECT jsonb_agg(jsonb_build_array(source_rowid, row_key, column_name, kind, reason, original)) FROM aragora_migrate.rejects) AS rejects,
                    (SELECT jsonb_agg(jsonb_build_array(source_rowid, row_key, column_name, kind, original)) FROM aragora_migrate.repairs) AS repairs
               FROM aragora_migrate.batches`,
          );
          const [p] = await tableProgress(c, 'r1');
          return { batches: b.rows, counters: [p?.rows_read, p?.rows_rejected, p?.rows_repaired, p?.last_rowid] };
        } finally {
          await c.query('ROLLBACK');
        }
      };
      const byParameters = await recorded((tx) => recordBatch(tx, at, record));
      const inQueryString = await recorded((tx) => tx.query(statement as string));
      expect(inQueryString).toEqual(byParameters);
      expect(byParameters).toMatchObject({ batches: [{ loaded_keys: keys }], counters: ['7', '1', '1', '7'] });
      // A text a query string cannot carry: the caller falls back to parameters.
      expect(recordBatchStatement(at, batch(8, 8, { loadedKeys: textArrayLiteral(['a\0b']) }))).toBeNull();
    });
  });

  it('recordBatch numbers the batches, sums the counters, moves the resume point, and goes with its transaction', async () => {
    await withPg(db.url, async (c) => {
      await newRun(c);
      await markTableLoading(c, at, true);
      const rejects = [
        { rowid: '2', key: '2', col: 'v', kind: 'type_mismatch', reason: 'not a number', original: { v: 'x' } },
      ];
      const repairs = [{ rowid: '1', key: '1', col: 'w', kind: 'nan', original: 'NaN' }];
      await withTransaction(c, (tx) =>
        recordBatch(tx, at, batch(1, 2, { rowsLoaded: 1, rejects, repairs, repairedRows: 1 })),
      );
      await withTransaction(c, (tx) => recordBatch(tx, at, batch(3, 3)));
      // A batch whose transaction rolls back leaves no trace.
      await expect(
        withTransaction(c, async (tx) => {
          await recordBatch(tx, at, batch(4, 4));
          throw new Error('the COPY failed');
        }),
      ).rejects.toThrow('the COPY failed');
      const b = await c.query<{ batch_no: number; first_rowid: string; last_rowid: string; loaded_keys: string[] }>(
        'SELECT batch_no, first_rowid, last_rowid, loaded_keys FROM aragora_migrate.batches ORDER BY batch_no',
      );
      expect(b.rows).toEqual([
        { batch_no: 1, first_rowid: '1', last_rowid: '2', loaded_keys: ['1'] },
        { batch_no: 2, first_rowid: '3', last_rowid: '3', loaded_keys: ['3'] },
      ]);
      const [p] = await tableProgress(c, 'r1');
      expect(p).toMatchObject({
        state: 'loading',
        direct_copy: true,
        rows_read: '3',
        rows_loaded: '2',
        rows_rejected: '1',
        rows_repaired: '1',
        bytes_read: '20',
        last_rowid: '3',
        seconds: 1,
      });
      expect(await count(c, 'repairs')).toBe(1);
      expect(await tablesWithRejects(c, 'r1')).toEqual([{ source_file: 'a.db', source_table: 'items' }]);
      expect(await tableRejects(c, 'r1', 'a.db', 'items')).toEqual([
        {
          source_rowid: '2',
          row_key: '2',
          column_name: 'v',
          kind: 'type_mismatch',
          reason: 'not a number',
          original: { v: 'x' },
        },
      ]);
    });
  });

  it('a table loaded after switching to the staging table is not recorded as direct; a failed one says so', async () => {
    await withPg(db.url, async (c) => {
      await newRun(c);
      await markTableLoading(c, at, true);
      await markTableLoaded(c, at, true);
      expect((await tableProgress(c, 'r1'))[0]).toMatchObject({ state: 'loaded', direct_copy: false });
      await markTableFailed(c, at);
      expect((await tableProgress(c, 'r1'))[0]?.state).toBe('failed');
    });
  });

  it('schema changes are recorded once per object (a resumed run updates the detail); the report reads widenings and foreign keys', async () => {
    await withPg(db.url, async (c) => {
      await newRun(c);
      await recordCreatedTable(c, 'r1', 'items');
      await recordCreatedTable(c, 'r1', 'items');
      expect(await count(c, 'created_tables')).toBe(1);
      await recordSchemaChange(c, 'r1', 'items', 'add_column', 'extra', {});
      await recordSchemaChange(c, 'r1', 'items', 'widen_column', 'v', {
        from: 'integer',
        to: 'bigint',
        rows: 1,
        bytes: 8192,
      });
      await recordSchemaChange(c, 'r1', 'items', 'add_foreign_key', 'items_fk', {
        parent: 'owners',
        orphans: 1,
        validated: false,
      });
      await recordSchemaChange(c, 'r1', 'items', 'add_foreign_key', 'items_fk', {
        parent: 'owners',
        orphans: 2,
        validated: false,
      });
      expect(await count(c, 'schema_changes')).toBe(3);
      expect(await reportedSchemaChanges(c, 'r1')).toEqual([
        {
          target_table: 'items',
          kind: 'widen_column',
          object: 'v',
          detail: { from: 'integer', to: 'bigint', rows: 1, bytes: 8192 },
        },
        {
          target_table: 'items',
          kind: 'add_foreign_key',
          object: 'items_fk',
          detail: { parent: 'owners', orphans: 2, validated: false },
        },
      ]);
    });
  });

  it('runWithFileHashes finds the earliest run that read the same bytes into the schema, unless it was rolled back', async () => {
    await withPg(db.url, async (c) => {
      await newRun(c, 'r1', 'same');
      await newRun(c, 'r2', 'same');
      expect(await runWithFileHashes(c, ['other'], 'public')).toBeNull();
      expect(await runWithFileHashes(c, ['same', 'other'], 'public')).toEqual({
        run_id: 'r1',
        instance: 'i',
        data_dir: '/data',
        path: 'a.db',
      });
      // Into another schema, the same bytes meet other tables.
      expect(await runWithFileHashes(c, ['same'], 'trial')).toBeNull();
      await setRunState(c, 'r1', 'rolled-back', 'unchanged');
      expect((await runWithFileHashes(c, ['same'], 'public'))?.run_id).toBe('r2');
    });
  });
});
