/**
 * The `--huge` source: a `continuum_memory.db` whose table holds two rows,
 * each with a 50 MB `content` (TEXT) and a 50 MB `semantic_centroid` (BLOB),
 * every other column a valid value like the ones bench/generate.ts writes.
 * It measures what the row-count sources cannot: whether a value of tens of
 * MB streams through the tool or is held several times over (the issue's
 * ≤ 256 MiB target applies to it too).
 *
 * Aragora's DDL, from fixtures/ddl.ts; the file ends in WAL mode, checkpointed,
 * like the other sources. The text is prose (so PostgreSQL's TOAST compression
 * sees realistic text) and the blob seeded random bytes (incompressible).
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONTINUUM_DDL, SCHEMA_VERSIONS_DDL } from '../fixtures/ddl.js';
import { Rng } from '../fixtures/prng.js';
import { prose } from '../fixtures/text.js';
import { Clock, DAY } from '../fixtures/time.js';
import {
  describeSource,
  ensureGenerated,
  finish,
  metadata,
  openForBulk,
  splitIndexes,
  type BenchSource,
} from './generate.js';

/** Bump when the generated data changes, so a cached source of the old shape is rebuilt. */
const HUGE_VERSION = 1;
export const HUGE_ROWS = 2;
/** 50 MB (10⁶ bytes) per value, as in the issue. */
export const HUGE_VALUE_BYTES = 50_000_000;
export const HUGE_FILE = 'continuum_memory.db';

/** `bytes` of ASCII prose, exactly. */
export function hugeText(rng: Rng, bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const p = `${prose(rng, 8)}\n\n`;
    parts.push(p);
    length += p.length;
  }
  const text = parts.join('').slice(0, bytes);
  // prose() is ASCII: characters are bytes. Say so loudly if that ever changes.
  if (Buffer.byteLength(text) !== bytes) throw new Error('hugeText: prose is no longer ASCII');
  return text;
}

/** `bytes` seeded random bytes. */
export function hugeBlob(rng: Rng, bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  let i = 0;
  for (; i + 4 <= bytes; i += 4) buf.writeUInt32LE(rng.u32(), i);
  for (; i < bytes; i++) buf[i] = rng.u32() & 0xff;
  return buf;
}

export function generateHugeSource(dir: string, valueBytes: number, seed: number): void {
  mkdirSync(dir, { recursive: true });
  const db = openForBulk(join(dir, HUGE_FILE));
  const { tables, indexes } = splitIndexes(CONTINUUM_DDL);
  db.exec(SCHEMA_VERSIONS_DDL);
  db.exec(tables);
  db.prepare('INSERT INTO _schema_versions (module, version) VALUES (?, ?)').run('continuum_memory', 3);
  const rng = new Rng(`bench:${seed}:huge`);
  const clock = new Clock(rng, Date.UTC(2026, 0, 1), Date.UTC(2026, 2, 7), 0);
  const insert = db.prepare(
    `INSERT INTO continuum_memory (id, tier, content, importance, surprise_score, consolidation_score, update_count,
       success_count, failure_count, semantic_centroid, last_promotion_at, created_at, updated_at, metadata,
       expires_at, red_line, red_line_reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (let i = 0; i < HUGE_ROWS; i++) {
    const createdMs = clock.random();
    const updatedMs = createdMs + rng.int(0, DAY);
    // One row at a time: the generator holds two 50 MB values, not four.
    insert.run(
      `km_node_huge_${i + 1}`,
      'glacial',
      hugeText(rng, valueBytes),
      rng.next(),
      rng.next(),
      rng.next(),
      3,
      2,
      0,
      hugeBlob(rng, valueBytes),
      clock.iso(updatedMs),
      clock.iso(createdMs),
      clock.iso(updatedMs),
      metadata(rng, clock),
      null,
      0,
      '',
    );
  }
  finish(db, indexes);
}

/** The cached huge-value source under `<root>/huge-<valueBytes>-<seed>/src`. */
export function ensureHugeSource(root: string, seed: number, valueBytes = HUGE_VALUE_BYTES): BenchSource {
  const base = join(root, `huge-${valueBytes}-${seed}`);
  const dir = ensureGenerated(base, { version: HUGE_VERSION, valueBytes, rows: HUGE_ROWS, seed }, (tmp) => {
    process.stderr.write(`generating ${HUGE_ROWS} rows of ${valueBytes / 1e6} MB text + blob into ${base}/src\n`);
    generateHugeSource(tmp, valueBytes, seed);
  });
  return describeSource(dir, { continuumRows: HUGE_ROWS, matchesRows: 0, seed }, [HUGE_FILE]);
}

/** md5 (hex) of each huge row's `content` and `semantic_centroid`, by id, read from the source file. */
export function sourceDigests(dir: string): Map<string, { content: string; centroid: string }> {
  const db = new Database(join(dir, HUGE_FILE), { readonly: true });
  try {
    const out = new Map<string, { content: string; centroid: string }>();
    const rows = db.prepare('SELECT id FROM continuum_memory ORDER BY id').all() as { id: string }[];
    // Row by row: two 50 MB values at a time in the runner, not the whole table.
    const one = db.prepare('SELECT content, semantic_centroid FROM continuum_memory WHERE id = ?');
    for (const { id } of rows) {
      const r = one.get(id) as { content: string; semantic_centroid: Buffer };
      out.set(id, {
        content: createHash('md5').update(r.content, 'utf8').digest('hex'),
        centroid: createHash('md5').update(r.semantic_centroid).digest('hex'),
      });
    }
    return out;
  } finally {
    db.close();
  }
}
