import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import type { Finding } from '../../../../src/findings/finding.js';
import { runPlan } from '../../../../src/pipeline/plan/plan.js';
import type { PlanReport } from '../../../../src/report/plan-report.js';
import { autoMappedSource, sourceArgs } from '../../../helpers/auto-mapping.js';
import { runCli } from '../../../helpers/cli.js';
import { makeInstance } from '../../../helpers/fixtures.js';
import { mappings, migrate, withPg } from '../../../helpers/migrate.js';
import { useTestDatabase } from '../../../helpers/pg.js';

const db = useTestDatabase('plan_runs');

const RUN_KINDS: readonly Finding['kind'][] = ['run_refused', 'run_unfinished', 'already_migrated'];

/** plan's findings about the ledger's runs. */
const runFindings = (r: PlanReport): Finding[] => r.findings.filter((f) => RUN_KINDS.includes(f.kind));

describe('plan reads the ledger as migrate does: it says GO only where migrate loads', () => {
  const m = makeInstance({ layout: 'legacy', instance: 'a' });
  const plan = (instance: string, schema = 'public'): Promise<PlanReport> =>
    runPlan({ config: loadConfig({ dataDir: m.dir, databaseUrl: db.url, instance, schema }, {}), mappings });

  it('already migrated, the same files under another instance name, another schema, a file changed since', async () => {
    expect(runFindings(await plan('one'))).toEqual([]);
    const first = await migrate(m.dir, db.url, { instance: 'one' });

    // The same instance on the same files: migrate loads nothing.
    const again = await plan('one');
    expect(runFindings(again)).toEqual([
      expect.objectContaining({
        kind: 'already_migrated',
        action: 'skip',
        message: expect.stringContaining(first.runId),
      }),
    ]);
    expect((await migrate(m.dir, db.url, { instance: 'one' })).state).toBe('noop');

    // Another instance name: plan blocks with the code and the words migrate refuses with.
    const other = await plan('two');
    expect(other.exitCode).toBe(5);
    const refused = runFindings(other);
    expect(refused).toEqual([
      expect.objectContaining({ kind: 'run_refused', action: 'block', code: 'RUN_ALREADY_LOADED' }),
    ]);
    await expect(migrate(m.dir, db.url, { instance: 'two' })).rejects.toMatchObject({
      code: 'RUN_ALREADY_LOADED',
      message: refused[0]?.message,
    });

    // Another schema holds other tables: nothing stands in the way.
    await withPg(db.url, (c) => c.query('CREATE SCHEMA trial'));
    expect(runFindings(await plan('two', 'trial'))).toEqual([]);

    // The application wrote after the run: plan and migrate refuse alike.
    const elo = new Database(join(m.dir, 'agent_elo.db'));
    elo.prepare("INSERT INTO ratings (agent_name, updated_at) VALUES ('newcomer', '2026-11-28 05:00:00')").run();
    elo.close();
    const changed = await plan('one');
    expect(changed.exitCode).toBe(5);
    expect(runFindings(changed)).toEqual([
      expect.objectContaining({ kind: 'run_refused', action: 'block', code: 'RUN_ALREADY_MIGRATED' }),
    ]);
    await expect(migrate(m.dir, db.url, { instance: 'one' })).rejects.toMatchObject({ code: 'RUN_ALREADY_MIGRATED' });
  });

  it('an unfinished run under the fail policy: its own rows are no conflict for plan, as the resume never reads them again', async () => {
    await withPg(db.url, (c) => c.query('CREATE SCHEMA resumed'));
    const source = autoMappedSource('plan-resume', 'r.db', (sdb) => {
      sdb.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER)');
      const item = sdb.prepare('INSERT INTO items VALUES (?, ?)');
      // Row 700 meets the target's trigger: the run stops there, its first batches committed.
      for (let i = 1; i <= 1000; i++) item.run(i, i === 700 ? 0 : i);
    });
    await withPg(db.url, async (c) => {
      await c.query('CREATE TABLE resumed.items (id bigint PRIMARY KEY, qty bigint)');
      await c.query(`CREATE FUNCTION resumed.qty_positive() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.qty <= 0 THEN RAISE EXCEPTION 'qty must be positive'; END IF; RETURN NEW; END $$`);
      await c.query(
        'CREATE TRIGGER qty_positive BEFORE INSERT ON resumed.items FOR EACH ROW EXECUTE FUNCTION resumed.qty_positive()',
      );
    });
    const args = [...sourceArgs(source, db.url), '--schema', 'resumed', '--instance', 'r'];
    expect(runCli(['migrate', ...args, '--batch-rows', '100']).code).toBe(5);
    await withPg(db.url, (c) => c.query('DROP TRIGGER qty_positive ON resumed.items'));
    type Out = { exitCode: number; findings: Finding[] };
    const planned = (): Out => JSON.parse(runCli(['plan', '--json', '-', ...args]).stdout) as Out;

    // 600 rows of the run are in the target; the resume goes on after them.
    const clean = planned();
    expect(clean.findings.filter((f) => f.kind === 'key_conflict')).toEqual([]);
    expect(clean.findings.map((f) => f.kind)).toContain('run_unfinished');
    expect(clean.exitCode).toBe(0);

    // A key the application wrote past the run's position is one the resume meets: plan and migrate refuse alike.
    await withPg(db.url, (c) => c.query('INSERT INTO resumed.items VALUES (900, 1)'));
    const conflict = planned();
    expect(conflict.exitCode).toBe(5);
    expect(conflict.findings.filter((f) => f.kind === 'key_conflict')).toEqual([
      expect.objectContaining({ action: 'block', code: 'TARGET_CONFLICT', count: 1, exampleKeys: ['900'] }),
    ]);
    const resumed = runCli(['migrate', ...args]);
    expect(resumed.code).toBe(5);
    expect(resumed.stdout + resumed.stderr).toMatch(/TARGET_CONFLICT/);
  });
});
