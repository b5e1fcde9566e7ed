import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDsn } from '../../../../src/config/dsn.js';
import { afterSwitchChecks } from '../../../../src/pipeline/check/after-switch.js';
import type { CheckItem } from '../../../../src/report/check-report.js';
import { withPg } from '../../../helpers/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/pg.js';

/** The pg_stat_activity item, as the check reports it with `url` as --database-url. */
async function connections(url: string, expectedInstances: number): Promise<CheckItem | undefined> {
  const items = await afterSwitchChecks({
    loadBalancerUrl: null,
    instanceUrls: [],
    target: parseDsn(url),
    expectedInstances,
    timeoutMs: 3000,
    keptInstances: [],
  });
  return items.find((i) => i.id === 'pg.instance-connections');
}

describe("after the switch: pg_stat_activity shows a connection from every instance's address", () => {
  const role = `am_check_${randomBytes(4).toString('hex')}`;
  let db: TestDatabase;
  let instance: pg.Client;
  let roleUrl: string;
  beforeAll(async () => {
    db = await createTestDatabase('after-connections');
    await withPg(inject('pgAdminUrl'), (c) => c.query(`CREATE ROLE ${c.escapeIdentifier(role)} LOGIN`));
    const u = new URL(db.url);
    u.username = role;
    u.password = '';
    roleUrl = u.toString();
  });
  afterAll(async () => {
    await instance.end().catch(() => undefined);
    await db.drop();
    await withPg(inject('pgAdminUrl'), (c) => c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(role)}`));
  });

  it('leaves its own connection out: with nothing else connected it sees no address', async () => {
    const item = await connections(db.url, 1);
    expect(item).toMatchObject({ status: 'fail', subject: parseDsn(db.url).display });
    expect(item?.detail).toMatch(/^connections from 0 address\(es\), 1 instance\(s\) expected: no client address/);
    expect(item?.fix).toMatch(/An instance is not connected/);
  });

  it('passes with one address for one instance, and fails naming that one address for two', async () => {
    // The "instance": a connection over TCP from 127.0.0.1, as an Aragora instance's pool makes.
    instance = new pg.Client({ connectionString: db.url });
    await instance.connect();
    const one = await connections(db.url, 1);
    expect(one?.status).toBe('pass');
    expect(one?.detail).toMatch(/: 127\.0\.0\.1 \(1\) \(this check's own connection left out\)$/);
    const two = await connections(db.url, 2);
    expect(two?.status).toBe('fail');
    expect(two?.detail).toMatch(/^connections from 1 address\(es\), 2 instance\(s\) expected: 127\.0\.0\.1 \(1\)/);
    expect(two?.fix).toMatch(/PgBouncer/);
  });

  it('warns, with the GRANT, when the role cannot see the other roles’ addresses; passes once granted', async () => {
    const hidden = await connections(roleUrl, 1);
    expect(hidden?.status).toBe('warn');
    expect(hidden?.detail).toMatch(/plus 1 of other roles whose address role am_check_\w+ may not see/);
    expect(hidden?.fix).toContain(`GRANT pg_read_all_stats TO "${role}";`);
    await withPg(inject('pgAdminUrl'), (c) => c.query(`GRANT pg_read_all_stats TO ${c.escapeIdentifier(role)}`));
    expect((await connections(roleUrl, 1))?.status).toBe('pass');
  });

  it('fails both database items with the masked DSN when the server cannot be reached', async () => {
    const items = await afterSwitchChecks({
      loadBalancerUrl: null,
      instanceUrls: [],
      target: parseDsn('postgresql://aragora:s3cret-pw@127.0.0.1:1/aragora?sslmode=disable'),
      expectedInstances: 2,
      timeoutMs: 3000,
      keptInstances: [],
    });
    const db = items.filter((i) => !i.id.startsWith('http.'));
    expect(db.map((i) => [i.id, i.status])).toEqual([
      ['pg.instance-connections', 'fail'],
      ['ledger.runs-finished', 'fail'],
    ]);
    expect(db[0]?.detail).toMatch(/nothing accepts connections at 127\.0\.0\.1:1/);
    expect(JSON.stringify(items)).not.toContain('s3cret-pw');
  });
});
