import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { loadMappingSet, type MappingSet } from '../../../../src/mapping/load.js';
import { silentReporter } from '../../../../src/report/events.js';
import { runVerify } from '../../../../src/pipeline/verify/verify.js';
import { WORKER_MIN_ROWS } from '../../../../src/pipeline/shared/batch-source.js';
import { HUGE_FROM } from '../../../../src/source/huge-value.js';
import { writeAutoMapping } from '../../../helpers/auto-mapping.js';
import { tempDir } from '../../../helpers/files.js';
import { migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';
import { rng } from '../../../helpers/random.js';

/**
 * Pages of multi-MB values are streamed into COPY a chunk at a time
 * (src/pipeline/shared/prepare-batch.ts, StreamBody) instead of being
 * encoded whole: on the main thread (a small table), from the conversion
 * worker (a table of WORKER_MIN_ROWS rows or more), straight into an empty
 * target and through the stage into a non-empty one. Every value must land
 * bit-exact and verify must agree.
 */

const FILE = 'huge.db';
const TEXT_BYTES = 12 * 1024 * 1024;
const BLOB_BYTES = 8 * 1024 * 1024;
/** One row per file is larger still: its values are read from SQLite in slices (src/source/huge-value.ts). */
const GIANT_BYTES = HUGE_FROM + 1024 * 1024;

/** Escaped characters, multi-byte ones and surrogate pairs, spread so that chunk boundaries fall among them. */
const ALPHABET = ['a', 'b', ' ', '\t', '\n', '\r', '\\', 'é', '€', '中', '😀'];

function hugeText(seed: number, bytes = TEXT_BYTES): string {
  const r = rng(seed);
  const parts: string[] = [];
  // A block of an odd length, repeated: a chunk's end meets it at every offset.
  for (let n = 0; n < 65_521; n++)
    parts.push(r() < 0.8 ? 'x' : (ALPHABET[Math.floor(r() * ALPHABET.length)] as string));
  const block = parts.join('');
  return `${seed}:${block.repeat(Math.ceil(bytes / Buffer.byteLength(block)))}`;
}

function hugeBlob(seed: number, bytes = BLOB_BYTES): Buffer {
  const b = Buffer.allocUnsafe(bytes);
  const r = rng(seed);
  for (let i = 0; i < 4096; i++) b[i] = Math.floor(r() * 256);
  for (let at = 4096; at < b.length; at += 4096) b.copy(b, at, 0, Math.min(4096, b.length - at));
  b[b.length - 1] = seed;
  return b;
}

const md5 = (v: string | Buffer): string => createHash('md5').update(v).digest('hex');

/**
 * A source file with `huge` rows of a 12 MB text and an 8 MB blob from id
 * `from`, the last of them with values past HUGE_FROM instead, then `small`
 * ordinary rows.
 */
function makeSource(dir: string, from: number, huge: number, small: number): Map<number, [string, string]> {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, FILE));
  db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT, data BLOB, note TEXT)');
  const insert = db.prepare('INSERT INTO big (id, body, data, note) VALUES (?, ?, ?, ?)');
  const want = new Map<number, [string, string]>();
  db.transaction(() => {
    for (let i = 0; i < huge; i++) {
      const id = from + i;
      const giant = i === huge - 1;
      const body = hugeText(id, giant ? GIANT_BYTES : TEXT_BYTES);
      const data = hugeBlob(id, giant ? GIANT_BYTES + 5 : BLOB_BYTES);
      insert.run(id, body, data, `huge ${id}`);
      want.set(id, [md5(body), md5(data)]);
    }
    for (let i = 0; i < small; i++) insert.run(from + huge + i, `small\t${i}\n`, Buffer.from([i & 255]), null);
  })();
  db.close();
  return want;
}

function writeMapping(mappingDir: string, sourceDir: string): void {
  writeAutoMapping(mappingDir, 'huge', 'huge values', join(sourceDir, FILE));
}

describe('migrating multi-MB values, streamed into COPY', () => {
  const mappingDir = tempDir('huge-mappings');
  const local = tempDir('huge-local');
  const worker = tempDir('huge-worker');
  let want: Map<number, [string, string]>;
  const dbs: TestDatabase[] = [];

  beforeAll(async () => {
    want = new Map([...makeSource(local, 1, 3, 0), ...makeSource(worker, 101, 3, WORKER_MIN_ROWS)]);
    writeMapping(mappingDir, local);
    dbs.push(await createTestDatabase('huge_values'), await createTestDatabase('huge_values'));
  }, 120_000);
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  const mappings = (): MappingSet => {
    const loaded = loadMappingSet(mappingDir);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded));
    return loaded.value;
  };

  async function migrateAndVerify(dataDir: string, url: string, instance: string): Promise<void> {
    const report = await migrate(dataDir, url, { instance, verify: false, mappings: mappings() });
    expect(report.exitCode).toBe(0);
    const verified = await runVerify({
      config: loadConfig({ dataDir, databaseUrl: url, instance, mappings: mappingDir }, {}),
      mappings: mappings(),
      reporter: silentReporter,
      maxKeys: 20,
    });
    expect(verified.exitCode).toBe(0);
  }

  async function hugeDigests(url: string): Promise<Map<number, [string, string]>> {
    return withPg(url, async (c) => {
      const r = await c.query<{ id: string; body: string; data: string }>(
        `SELECT id::text AS id, md5(body) AS body, md5(data) AS data FROM public.big WHERE note LIKE 'huge %' ORDER BY id`,
      );
      return new Map(r.rows.map((row) => [Number(row.id), [row.body, row.data]]));
    });
  }

  it('loads them on the main thread into an empty table, then from the worker through the stage, bit-exact', async () => {
    const url = (dbs[0] as TestDatabase).url;
    await migrateAndVerify(local, url, 'local');
    // The target now holds rows: the second file's batches go through the stage.
    await migrateAndVerify(worker, url, 'worker');
    expect(await hugeDigests(url)).toEqual(want);
    const count = await withPg(url, (c) => c.query<{ n: string }>('SELECT count(*) AS n FROM public.big'));
    expect(Number(count.rows[0]?.n)).toBe(6 + WORKER_MIN_ROWS);
  });

  it('loads them from the worker into an empty table, bit-exact', async () => {
    const url = (dbs[1] as TestDatabase).url;
    await migrateAndVerify(worker, url, 'worker');
    expect(await hugeDigests(url)).toEqual(new Map([...want].filter(([id]) => id > 100)));
  });
});
