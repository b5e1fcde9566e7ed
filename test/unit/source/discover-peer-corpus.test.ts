import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { loadBuiltinMappingSet } from '../../../src/mapping/load.js';
import { runPlan } from '../../../src/pipeline/plan/plan.js';
import { fingerprint, PEER_CORPUS_MISSING, peerCorpusCopy, peerCorpusTitle } from '../../helpers/files.js';

// Row counts as pgloader's test-suite README gives them (shared/peer-corpus/pgloader-sqlite/README.md).
const CHINOOK = {
  Album: 347,
  Artist: 275,
  Customer: 59,
  Employee: 8,
  Genre: 25,
  Invoice: 412,
  InvoiceLine: 2240,
  MediaType: 5,
  Playlist: 18,
  PlaylistTrack: 8715,
  Track: 3503,
};
const EXPECTED: Record<string, Record<string, number>> = {
  'Chinook_Sqlite.sqlite': CHINOOK,
  'Chinook_Sqlite_AutoIncrementPKs.sqlite': CHINOOK,
  'sqlite.db': {
    long: 2,
    blobs: 1,
    unsigned: 2,
    reals: 3,
    ints: 3,
    def: 2,
    stamps: 3,
    character: 4,
    item: 2,
    user: 4,
    autoinc: 3,
    intege: 3,
    currentdate: 1,
    double: 1,
    datetime_default: 3,
  },
  'storage.sqlite': {
    auth_user: 3,
    auth_group: 5,
    auth_membership: 6,
    auth_event: 15,
    config_category: 1,
    config: 3,
    files: 2,
  },
  'my db.sqlite': { greetings: 3 },
  'matviews.sqlite': { products: 3 },
};

describe.skipIf(PEER_CORPUS_MISSING !== null)(peerCorpusTitle('discover on pgloader’s SQLite test files'), () => {
  // In beforeAll, not the describe's body: vitest runs a skipped describe's body all the same,
  // and without the corpus (a clone of this repository alone) the copy failed the whole file.
  let dir = '';
  let before: ReturnType<typeof fingerprint>;
  let report: ReturnType<typeof runPlan>;
  beforeAll(() => {
    dir = peerCorpusCopy();
    before = fingerprint(dir);
    report = runPlan({
      config: loadConfig({ dataDir: dir }, {}),
      mappings: loadBuiltinMappingSet(),
      inventoryOnly: true,
    });
  });

  it('lists every table with the row counts pgloader’s README gives', async () => {
    const { files } = await report;
    for (const [file, tables] of Object.entries(EXPECTED)) {
      const f = files.find((x) => x.path === file);
      expect(f, file).toBeDefined();
      expect(f?.status).toBe('ok');
      for (const [table, rows] of Object.entries(tables)) {
        expect(
          f?.objects.find((o) => o.name === table),
          `${file} ${table}`,
        ).toMatchObject({ type: 'table', rows });
      }
    }
    const testPk = files.find((x) => x.path === 'test_pk.db');
    expect(testPk?.objects.filter((o) => o.type === 'table').every((o) => o.rows === 0)).toBe(true);
    expect(testPk?.objects.filter((o) => o.type === 'table').length).toBeGreaterThan(0);
  });

  it('reports views as views, not as tables to load', async () => {
    const { files } = await report;
    const views = files.find((x) => x.path === 'matviews.sqlite')?.objects.filter((o) => o.type === 'view') ?? [];
    expect(views.length).toBeGreaterThan(0);
    for (const v of views) expect(v.skipReason).toMatch(/view/);
  });

  it('classifies none of them as Aragora files and skips sqlite_sequence with a reason', async () => {
    const { files, findings } = await report;
    expect(files.every((f) => f.layout === 'generic' && f.stores.length === 0)).toBe(true);
    const seq = files
      .find((x) => x.path === 'Chinook_Sqlite_AutoIncrementPKs.sqlite')
      ?.objects.find((o) => o.name === 'sqlite_sequence');
    expect(seq?.skipReason).toMatch(/autoincrement/);
    expect(findings.filter((f) => f.kind === 'unmapped_table').length).toBeGreaterThan(20);
  });

  it('leaves every file byte-identical, with no -wal or -shm beside it', async () => {
    await report;
    expect(fingerprint(dir)).toEqual(before);
  });
});
