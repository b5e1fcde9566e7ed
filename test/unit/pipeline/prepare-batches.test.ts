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
import type { SourceValue } from '../../../src/tables/value.js';
import { timeZoneOffsetFn } from '../../../src/tables/timestamp.js';
import { CopyBuffer } from '../../../src/target/copy-encode.js';
import { BinaryRowHasher } from '../../../src/target/binary-copy.js';
import { comparedColumns, digestPlan, type DigestPlan } from '../../../src/pipeline/shared/digest-plan.js';
import { SetDigest } from '../../../src/tables/canonical.js';
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

  describe('in binary', () => {
    /** The table's digest plan with the target typed as the mapping says, in a UTF8 database: binary COPY. */
    function binaryPlan(compiled: CompiledTable): DigestPlan {
      const types = new Map([
        ['id', 'bigint'],
        ['body', 'text'],
        ['n', 'bigint'],
      ]);
      const plan = digestPlan({
        spec,
        sourceColumns: ['id', 'body', 'n'],
        sourceTimezone: 'UTC',
        targetColumns: compiled.targetColumns,
        ...comparedColumns(spec, compiled.targetColumns, types, true),
      });
      expect(plan.copyKinds).toEqual(['int8', 'text', 'int8']);
      return plan;
    }

    function binaryBatches(d: Database.Database, compiled: CompiledTable, limits: BatchLimits) {
      const reader = new PageReader(d, 't', compiled.selectColumns, {});
      return [...prepareBatches(reader, limits, compiled, true, rawTextReader(d, 't'), binaryPlan(compiled))];
    }

    /** The row digest of the rows `from`..`to` that load, as verify's source side hashes them. */
    function expectedDigest(d: Database.Database, compiled: CompiledTable, from: string, to: string): string {
      const hasher = new BinaryRowHasher([0, 1, 2], ['int8', 'text', 'int8']);
      const sum = new SetDigest();
      const rows = d
        .prepare(`SELECT rowid, ${compiled.selectColumns.join(', ')} FROM t WHERE rowid BETWEEN ? AND ?`)
        .raw(true)
        .all(BigInt(from), BigInt(to)) as SourceValue[][];
      for (const raw of rows) {
        const row = compiled.convertRow(raw);
        if (row.reject === null) sum.add(hasher.hash(row.values));
      }
      return sum.toString();
    }

    it('sends a direct batch in binary, and its row digest is what verify computes from the values', () => {
      const { db: d, compiled } = table(READ_ROWS * 3, 40);
      const batches = binaryBatches(d, compiled, { batchRows: READ_ROWS * 2, batchBytes: 1 << 30 });
      expect(batches.map((b) => [b.binary, b.body.kind, b.rowsRead])).toEqual([
        [true, 'payload', READ_ROWS * 2],
        [true, 'payload', READ_ROWS],
      ]);
      for (const b of batches) {
        const payload = Buffer.from((b.body as { payload: Uint8Array }).payload);
        expect(payload.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
        expect(payload.subarray(-2).toString('hex')).toBe('ffff');
        expect(b.rowDigest).toBe(expectedDigest(d, compiled, b.firstRowid, b.lastRowid));
        // The ledger records the row digest for a binary batch: it covers every field's bytes already.
        expect(sent(b).digest).toBe(b.rowDigest);
      }
    });

    it('ends a binary batch before the page that would make it stream: that page starts the next batch', () => {
      const size = 20_000;
      const rows = Math.ceil((STREAM_FROM * 1.5) / size);
      const { db: d, compiled } = table(rows, size);
      const batches = binaryBatches(d, compiled, { batchRows: rows, batchBytes: 1 << 30 });
      // Pages of READ_ROWS rows, 5 MB each: two would pass STREAM_FROM, so each batch holds one.
      expect(batches.map((b) => [b.binary, b.body.kind, b.rowsRead])).toEqual([
        [true, 'payload', READ_ROWS],
        [true, 'payload', rows - READ_ROWS],
      ]);
      expect(BigInt(batches[1]!.firstRowid)).toBe(BigInt(batches[0]!.lastRowid) + 1n);
      for (const b of batches) expect(b.rowDigest).toBe(expectedDigest(d, compiled, b.firstRowid, b.lastRowid));
    });

    it('streams, in text, a batch whose first page alone passes STREAM_FROM; its digest stays in the binary form', () => {
      const { db: d, compiled } = table(12, Math.ceil(STREAM_FROM / 10));
      const batches = binaryBatches(d, compiled, { batchRows: 100, batchBytes: 1 << 30 });
      expect(batches.map((b) => [b.binary, b.body.kind, b.rowsRead])).toEqual([[false, 'stream', 12]]);
      const b = batches[0]!;
      expect(b.rowDigest).toBe(expectedDigest(d, compiled, b.firstRowid, b.lastRowid));
    });
  });
});
