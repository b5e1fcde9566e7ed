import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { parseDsn } from '../../../../src/config/dsn.js';
import { runArchive } from '../../../../src/pipeline/archive/archive.js';
import { afterSwitchChecks } from '../../../../src/pipeline/check/after-switch.js';
import { runVerify } from '../../../../src/pipeline/verify/verify.js';
import { silentReporter } from '../../../../src/report/events.js';
import type { CheckItem } from '../../../../src/report/check-report.js';
import { tempDir } from '../../../helpers/files.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { mappings, migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

describe('after the switch: every migrated run is verified, and archived or kept', () => {
  const a = makeInstance({ layout: 'legacy', instance: 'a' });
  let db: TestDatabase;
  let runId: string;
  beforeAll(async () => {
    db = await createTestDatabase('after-ledger');
  });
  afterAll(async () => {
    await db.drop();
  });

  async function ledgerItems(keptInstances: string[] = []): Promise<CheckItem[]> {
    const items = await afterSwitchChecks({
      loadBalancerUrl: null,
      instanceUrls: [],
      target: parseDsn(db.url),
      expectedInstances: 1,
      timeoutMs: 3000,
      keptInstances,
    });
    return items.filter((i) => i.id === 'ledger.runs-finished');
  }
  const config = (): ReturnType<typeof loadConfig> =>
    loadConfig({ dataDir: a.dir, databaseUrl: db.url, instance: 'web-1' }, {});

  it('fails when nothing was migrated, and reads without creating the ledger', async () => {
    const items = await ledgerItems();
    expect(items).toMatchObject([{ status: 'fail', subject: null }]);
    expect(items[0]?.detail).toBe(`no runs yet: nothing was migrated into ${parseDsn(db.url).display}`);
    expect(items[0]?.fix).toMatch(/aragora-migrate migrate --data-dir <dir> --instance <name>/);
    await withPg(db.url, async (c) => {
      const r = await c.query("SELECT 1 FROM pg_namespace WHERE nspname = 'aragora_migrate'");
      expect(r.rowCount).toBe(0);
    });
  });

  it('fails a run that was not verified, with the verify command', async () => {
    runId = (await migrate(a.dir, db.url, { instance: 'web-1', verify: false })).runId;
    const items = await ledgerItems();
    expect(items).toMatchObject([{ status: 'fail', subject: 'instance web-1' }]);
    expect(items[0]?.detail).toBe(`run ${runId} (${a.dir}) is not verified`);
    expect(items[0]?.fix).toBe(
      `Verify it: aragora-migrate verify --run ${runId} --data-dir ${a.dir} (exit 0 marks it verified).`,
    );
  });

  it('fails a verified run whose files are still in place, naming archive and --keep-files; passes when kept', async () => {
    const verified = await runVerify({ config: config(), mappings, reporter: silentReporter, maxKeys: 20, runId });
    expect(verified.exitCode).toBe(0);
    const items = await ledgerItems();
    expect(items[0]?.status).toBe('fail');
    expect(items[0]?.detail).toBe(`run ${runId} (${a.dir}) verified, but its files are still in ${a.dir}`);
    expect(items[0]?.fix).toMatch(new RegExp(`aragora-migrate archive --run ${runId} --backup-dir <dir>`));
    expect(items[0]?.fix).toMatch(/--keep-files web-1/);
    const kept = await ledgerItems(['web-1']);
    expect(kept).toMatchObject([{ status: 'pass', fix: null }]);
    expect(kept[0]?.detail).toMatch(/its files kept on purpose \(--keep-files\)$/);
  });

  it('passes once the run is archived, naming the backup dir', async () => {
    const backupDir = join(tempDir('after-ledger-backup'), 'web-1');
    await runArchive({ config: config(), backupDir, runId });
    const items = await ledgerItems();
    expect(items).toMatchObject([{ status: 'pass', subject: 'instance web-1', fix: null }]);
    expect(items[0]?.detail).toBe(`run ${runId} (${a.dir}) verified, archived in ${backupDir}`);
  });
});
