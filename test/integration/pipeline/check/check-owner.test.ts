import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDsn } from '../../../../src/config/dsn.js';
import { runCheck, type CheckItem } from '../../../../src/index.js';
import { APP_STORES, initializeLikeApp } from '../../../helpers/aragora-app/schemas.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { migrate, withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

/**
 * migrate run with another role than the app's (an administrator's DSN, say)
 * creates the app's tables as that role. The app's stores run CREATE INDEX IF
 * NOT EXISTS on them at every start, which PostgreSQL allows only the owner,
 * even when the index exists: the app stopped with "must be owner of table"
 * although its role could read and write every row. `check` now says so
 * before the switch, naming the tables and the statements that hand them over
 * (src/pipeline/check/pg-owner.ts).
 */
const A = makeInstance({ layout: 'legacy', instance: 'a' });
const suffix = randomBytes(4).toString('hex');
const MIGRATOR = `am_migrator_${suffix}`;
const APP = `am_app_${suffix}`;

describe('check before the switch: the app role and the tables migrate created', () => {
  let db: TestDatabase;
  const as = (role: string): string => {
    const u = new URL(db.url);
    u.username = role;
    u.password = '';
    return u.toString();
  };
  const ownerItem = async (): Promise<CheckItem> => {
    const r = await runCheck({ target: parseDsn(`${as(APP)}?sslmode=disable`) });
    const found = r.items.find((i) => i.id === 'pg.owner');
    if (found === undefined) throw new Error(`no pg.owner in ${r.items.map((i) => i.id).join(', ')}`);
    return found;
  };

  beforeAll(async () => {
    db = await createTestDatabase('check-owner');
    await withPg(inject('pgAdminUrl'), async (c) => {
      for (const role of [MIGRATOR, APP]) await c.query(`CREATE ROLE ${role} LOGIN`);
    });
    await withPg(db.url, async (c) => {
      const name = new URL(db.url).pathname.slice(1);
      await c.query(`GRANT CREATE ON DATABASE "${name}" TO ${MIGRATOR}`);
      await c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${MIGRATOR}, ${APP}`);
    });
  });
  afterAll(async () => {
    await db.drop();
    await withPg(inject('pgAdminUrl'), async (c) => {
      for (const role of [MIGRATOR, APP]) await c.query(`DROP ROLE IF EXISTS ${role}`);
    });
  });

  it('passes while the app has no table there, fails naming each table and the trigger function once migrate created them as another role, and passes after the fix it gives, on which the app starts', async () => {
    const empty = await ownerItem();
    expect(empty.status, empty.detail).toBe('pass');
    expect(empty.detail).toMatch(new RegExp(`none of the app's \\d+ tables is in schema public yet.*role ${APP}`));

    const run = await migrate(A.dir, as(MIGRATOR));
    expect(run.state).toBe('loaded');
    await withPg(db.url, (c) =>
      c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP}`),
    );
    // Reading and writing the rows is not enough: the app's start fails.
    await withPg(as(APP), async (c) => {
      const insights = APP_STORES.find((s) => s.module === 'insight_store');
      if (insights === undefined) throw new Error('no insight store');
      await expect(initializeLikeApp(c, insights)).rejects.toThrow(/must be owner of (table|function)/);
    });

    const failed = await ownerItem();
    expect(failed.status).toBe('fail');
    for (const table of ['insights', 'elo_ratings', 'continuum_memory'])
      expect(failed.detail).toContain(`${table} (owner ${MIGRATOR})`);
    expect(failed.detail).toContain(`update_insight_search_vector() (owner ${MIGRATOR})`);
    expect(failed.fix).toContain(`ALTER TABLE "public"."insights" OWNER TO "${APP}";`);

    // The fix as printed, run as a superuser.
    const statements = (failed.fix ?? '').match(/ALTER (TABLE|FUNCTION) [^;]+;/g) ?? [];
    expect(statements.length).toBeGreaterThan(3);
    await withPg(db.url, (c) => c.query(statements.join('\n')));

    const fixed = await ownerItem();
    expect(fixed.status, fixed.detail).toBe('pass');
    expect(fixed.detail).toMatch(new RegExp(`role ${APP} owns the \\d+ of the app's tables in schema public`));
    await withPg(as(APP), async (c) => {
      for (const store of APP_STORES) await initializeLikeApp(c, store);
    });
  });
});
