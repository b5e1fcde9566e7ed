import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureHugeSource, hugeBlob, hugeText, HUGE_FILE, sourceDigests } from '../../../bench/huge.js';
import { Rng } from '../../../fixtures/prng.js';
import { tempDir } from '../../helpers/files.js';

describe('bench --huge source', () => {
  it('makes text and blobs of exactly the size asked, the same for the same seed', () => {
    const text = hugeText(new Rng('t'), 100_003);
    expect(Buffer.byteLength(text)).toBe(100_003);
    expect(text).toBe(hugeText(new Rng('t'), 100_003));
    expect(text).toMatch(/^[\x20-\x7e\n]+$/);
    const blob = hugeBlob(new Rng('b'), 4099);
    expect(blob.length).toBe(4099);
    expect(blob.equals(hugeBlob(new Rng('b'), 4099))).toBe(true);
    expect(blob.equals(hugeBlob(new Rng('c'), 4099))).toBe(false);
  });

  it('writes a continuum_memory.db of two rows with a huge content and centroid each, in WAL mode, cached', () => {
    const root = tempDir('bench-huge');
    const source = ensureHugeSource(root, 7, 20_000);
    expect(source.dir).toBe(join(root, 'huge-20000-7', 'src'));
    expect(Object.keys(source.files)).toEqual([HUGE_FILE]);
    expect(existsSync(join(source.dir, `${HUGE_FILE}-wal`))).toBe(false);
    const db = new Database(join(source.dir, HUGE_FILE), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const rows = db
        .prepare(
          `SELECT id, length(CAST(content AS BLOB)) AS text, typeof(semantic_centroid) AS kind,
                  length(semantic_centroid) AS blob, metadata, created_at, red_line FROM continuum_memory ORDER BY id`,
        )
        .all() as { id: string; text: number; kind: string; blob: number; metadata: string; red_line: number }[];
      expect(rows.map((r) => [r.id, r.text, r.kind, r.blob, r.red_line])).toEqual([
        ['km_node_huge_1', 20_000, 'blob', 20_000, 0],
        ['km_node_huge_2', 20_000, 'blob', 20_000, 0],
      ]);
      for (const r of rows) expect(() => JSON.parse(r.metadata) as unknown).not.toThrow();
      const first = db
        .prepare(`SELECT content, semantic_centroid FROM continuum_memory WHERE id = ?`)
        .get('km_node_huge_1') as { content: string; semantic_centroid: Buffer };
      expect(sourceDigests(source.dir).get('km_node_huge_1')).toEqual({
        content: createHash('md5').update(first.content).digest('hex'),
        centroid: createHash('md5').update(first.semantic_centroid).digest('hex'),
      });
    } finally {
      db.close();
    }
    // A second call reuses the file the stamp describes.
    const stamp = readFileSync(join(root, 'huge-20000-7', 'source.json'), 'utf8');
    ensureHugeSource(root, 7, 20_000);
    expect(readFileSync(join(root, 'huge-20000-7', 'source.json'), 'utf8')).toBe(stamp);
  });
});
