import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  prepareBatches,
  READ_ROWS,
  STREAM_FROM,
  type BatchLimits,
  type LocalPreparedBatch,
} from '../../../src/pipeline/shared/prepare-batch.js';
import { PageReader, rawTextReader, readPages } from '../../../src/source/read.js';
import { compileTable, type CompiledTable } from '../../../src/tables/row-converter.js';
import { timeZoneOffsetFn } from '../../../src/tables/timestamp.js';
import { CopyBuffer } from '../../../src/target/copy-encode.js';
import { tableSpec } from '../../helpers/table-spec.js';

/**
 * A batch is read in pages of READ_ROWS rows, each converted before the next
 * is read (src/pipeline/shared/prepare-batch.ts). What the load sends and
 * checkpoints must be what one page of the batch's size gave: the same
 * batches, the same bytes, a digest of exactly those bytes.
 */

const spec = tableSpec({
  source: 't',
  key: ['id'],
  columns: [
    { name: 'id', type: 'bigint', nullable: false, targetOnly: false },
    { name: 'body', type: 'text', nullable: true, targetOnly: false },
    { name: 'n', type: 'bigint', nullable: true, targetOnly: false },
  ],
});

let db: Database.Database | null = null;
afterEach(() => {
  db?.close();
  db = null;
});

/** A table of `rows` rows with a `size`-character body; every 7th row holds a value the bigint column rejects. */
function table(rows: number, size: number): { db: Database.Database; compiled: CompiledTable } {
  const d = new Database(':memory:');
  d.defaultSafeIntegers(true);
  d.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT, n)');
  const insert = d.prepare('INSERT INTO t VALUES (?, ?, ?)');
  d.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i, `${i}:`.padEnd(size, 'xé\t'), i % 7 === 0 ? 'not a number' : i * 3);
  })();
  db = d;
  const compiled = compileTable(spec, ['id', 'body', 'n'], {
    offsetOf: timeZoneOffsetFn('UTC'),
    fetchRaw: rawTextReader(d, 't'),
  });
  return { db: d, compiled };
}

function batchesOf(d: Database.Database, compiled: CompiledTable, limits: BatchLimits): LocalPreparedBatch[] {
  const reader = new PageReader(d, 't', compiled.selectColumns, {});
  return [...prepareBatches(reader, limits, compiled, true, rawTextReader(d, 't'))];
}

/** What a batch sends, in the pieces it sends it in, and the digest it reports, whichever way its body comes. */
function sent(batch: LocalPreparedBatch): { chunks: Buffer[]; digest: string } {
  if (batch.body.kind === 'payload') return { chunks: [Buffer.from(batch.body.payload)], digest: batch.body.digest };
  const chunks: Buffer[] = [];
  const it = batch.body.chunks();
  for (let next = it.next(); ; next = it.next()) {
    if (next.done === true) return { chunks, digest: next.value };
    chunks.push(Buffer.from(next.value));
  }
}

/** The COPY bytes of the rows one page of the batch's size holds, converted as before sub-pages. */
function expectedBatches(d: Database.Database, compiled: CompiledTable, limits: BatchLimits) {
  return [...readPages(d, 't', compiled.selectColumns, { maxRows: limits.batchRows, maxBytes: limits.batchBytes })].map(
    (page) => {
      const out = new CopyBuffer();
      let loadable = 0;
      const rejected: string[] = [];
      for (const raw of page.rows) {
        const row = compiled.convertRow(raw);
        if (row.reject !== null) rejected.push(String(raw[0]));
        else {
          out.writeRow(row.values);
          loadable++;
        }
      }
      return {
        firstRowid: String(page.firstRowid),
        lastRowid: String(page.lastRowid),
        rowsRead: page.rows.length,
        loadable,
        rejected,
        bytes: Buffer.from(out.bytes()),
      };
    },
  );
}

/** The batches, checked against one page each; with the chunks each sent. */
function check(
  d: Database.Database,
  compiled: CompiledTable,
  limits: BatchLimits,
): { batch: LocalPreparedBatch; chunks: Buffer[] }[] {
  const batches = batchesOf(d, compiled, limits);
  const expected = expectedBatches(d, compiled, limits);
  expect(batches.length).toBe(expected.length);
  return batches.map((batch, i) => {
    const want = expected[i]!;
    const { chunks, digest } = sent(batch);
    const bytes = Buffer.concat(chunks);
    expect({
      firstRowid: batch.firstRowid,
      lastRowid: batch.lastRowid,
      rowsRead: batch.rowsRead,
      loadable: batch.loadable,
      rejected: batch.rejects.map((r) => (r as { rowid: string }).rowid),
    }).toEqual({
      firstRowid: want.firstRowid,
      lastRowid: want.lastRowid,
      rowsRead: want.rowsRead,
      loadable: want.loadable,
      rejected: want.rejected,
    });
    expect(bytes.equals(want.bytes), `batch ${i}: the bytes one page would have sent`).toBe(true);
    expect(digest).toBe(createHash('sha256').update(want.bytes).digest('hex'));
    return { batch, chunks };
  });
}

describe('prepareBatches', () => {
  it('ends each batch at batchRows rows, read in pages of READ_ROWS', () => {
    const { db: d, compiled } = table(READ_ROWS * 5 + 17, 40);
    const batches = check(d, compiled, { batchRows: READ_ROWS * 2 + 3, batchBytes: 1 << 30 });
    expect(batches.map((b) => b.batch.rowsRead)).toEqual([READ_ROWS * 2 + 3, READ_ROWS * 2 + 3, READ_ROWS + 11]);
    expect(batches.every((b) => b.batch.body.kind === 'payload')).toBe(true);
  });

  it('ends a batch at batchBytes like one page would, the row that passes it included', () => {
    const { db: d, compiled } = table(400, 1000);
    const batches = check(d, compiled, { batchRows: 2000, batchBytes: 45_000 });
    expect(batches[0]!.batch.rowsRead).toBe(45);
  });

  it('batches of fewer rows than a page', () => {
    const { db: d, compiled } = table(20, 10);
    const batches = check(d, compiled, { batchRows: 3, batchBytes: 1 << 30 });
    expect(batches).toHaveLength(7);
  });

  it('streams a batch from the page that brings it to STREAM_FROM bytes, the rows encoded before it sent first', () => {
    const size = 20_000;
    const rows = Math.ceil((STREAM_FROM * 1.5) / size);
    const { db: d, compiled } = table(rows, size);
    const batches = check(d, compiled, { batchRows: rows, batchBytes: 1 << 30 });
    expect(batches).toHaveLength(1);
    const { batch, chunks } = batches[0]!;
    expect(batch.body.kind).toBe('stream');
    // The rows of the pages read before the threshold come first, as one chunk already encoded.
    const pagesBefore = Math.floor(STREAM_FROM / (READ_ROWS * size));
    expect(chunks[0]!.toString('utf8').split('\n').length - 1).toBe(
      READ_ROWS * pagesBefore - Math.floor((READ_ROWS * pagesBefore) / 7),
    );
  });

  it('streams a batch whose first page alone passes STREAM_FROM, with nothing sent before', () => {
    const size = Math.ceil(STREAM_FROM / 10);
    const { db: d, compiled } = table(12, size);
    const { batch, chunks } = check(d, compiled, { batchRows: 100, batchBytes: 1 << 30 })[0]!;
    expect(batch.body.kind).toBe('stream');
    // No chunk holds more than the buffer a stream is encoded through (4 MiB): nothing was encoded whole first.
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});
