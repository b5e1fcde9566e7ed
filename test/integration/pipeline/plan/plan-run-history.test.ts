import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import type { Finding } from '../../../../src/findings/finding.js';
import { runPlan } from '../../../../src/pipeline/plan/plan.js';
import type { PlanReport } from '../../../../src/report/plan-report.js';
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
});
