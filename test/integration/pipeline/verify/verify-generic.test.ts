import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { loadMappingSet, type MappingSet } from '../../../../src/mapping/load.js';
import { silentReporter } from '../../../../src/report/events.js';
import { runVerify } from '../../../../src/pipeline/verify/verify.js';
import { writeAutoMapping } from '../../../helpers/auto-mapping.js';
import { PEER_CORPUS, PEER_CORPUS_MISSING, peerCorpusTitle, tempDir } from '../../../helpers/files.js';
import { migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';
import type { VerifyReport } from '../../../../src/report/verify-report.js';

/**
 * The generic path on a real file from pgloader's test suite: Chinook, mapped
 * from its SQLite schema alone (NUMERIC(10,2) prices, DATETIME columns,
 * integers, text), migrated and verified. verify's canonical forms must agree
 * with what PostgreSQL prints for every value, and still see a changed price.
 */
describe.skipIf(PEER_CORPUS_MISSING !== null)(
  peerCorpusTitle('verify on a generic SQLite file (Chinook, mapped from its schema)'),
  () => {
    const dataDir = tempDir('chinook');
    const mappingDir = tempDir('chinook-mappings');
    let db: TestDatabase;
    const config = () => loadConfig({ dataDir, databaseUrl: db.url, instance: 'chinook', mappings: mappingDir }, {});

    beforeAll(async () => {
      cpSync(join(PEER_CORPUS, 'Chinook_Sqlite.sqlite'), join(dataDir, 'Chinook_Sqlite.sqlite'));
      writeAutoMapping(
        mappingDir,
        'chinook',
        'Chinook, derived from its SQLite schema',
        join(dataDir, 'Chinook_Sqlite.sqlite'),
      );
      db = await createTestDatabase('verify_generic');
    }, 60_000);
    afterAll(async () => {
      await db.drop();
    });

    const mappings = (): MappingSet => {
      const loaded = loadMappingSet(mappingDir);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded));
      return loaded.value;
    };
    const verify = (): Promise<VerifyReport> =>
      runVerify({ config: config(), mappings: mappings(), reporter: silentReporter, maxKeys: 20 });

    it('migrates every table and verifies it: digests equal, numerics, timestamps and text included', async () => {
      const report = await migrate(dataDir, db.url, { instance: 'chinook', verify: false, mappings: mappings() });
      expect(report.exitCode).toBe(0);
      const r = await verify();
      expect(r.exitCode).toBe(0);
      expect(r.tables.length).toBeGreaterThan(5);
      for (const t of r.tables) expect(t.sourceDigest, t.target).toBe(t.targetDigest);
      expect(r.tables.find((t) => t.target === 'InvoiceLine')?.rowsTarget).toBe(2240);
    });

    it('names a price changed by one cent, and a date moved by a second', async () => {
      await withPg(db.url, async (c) => {
        await c.query('UPDATE "InvoiceLine" SET "UnitPrice" = "UnitPrice" + 0.01 WHERE "InvoiceLineId" = 7');
        await c.query(`UPDATE "Invoice" SET "InvoiceDate" = "InvoiceDate" + interval '1 second' WHERE "InvoiceId" = 3`);
      });
      const r = await verify();
      expect(r.exitCode).toBe(4);
      const found = r.tables.flatMap((t) => t.mismatches.map((m) => ({ target: t.target, ...m })));
      expect(found).toEqual([
        { target: 'Invoice', key: '3', kind: 'changed', columns: ['InvoiceDate'] },
        { target: 'InvoiceLine', key: '7', kind: 'changed', columns: ['UnitPrice'] },
      ]);
    });
  },
);
