import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import * as api from '../../src/index.js';
import { makeInstance } from '../helpers/fixtures.js';

/**
 * src/index.ts is the public API: a program gets from it everything the CLI
 * does (the CLI imports nothing else; eslint/layers.js enforces that).
 */
describe('the public API', () => {
  it('offers every command as a function, the defaults, the error class and the exit codes', () => {
    for (const name of [
      'discover',
      'runPlan',
      'runMigration',
      'runVerify',
      'runArchive',
      'runRollback',
      'runStatus',
    ] as const) {
      expect(typeof api[name], name).toBe('function');
    }
    expect(new api.MigrateError('CONFIG_INVALID', 'x')).toBeInstanceOf(Error);
    expect(api.EXIT).toMatchObject({ OK: 0, REJECTED_ROWS: 3, VERIFY_DIFFERENCES: 4, REFUSED: 5 });
    expect(api.DEFAULTS.batchRows).toBeGreaterThan(0);
  });

  it('the CLI flag defaults are the library defaults', () => {
    const flags = new Map(
      buildProgram().commands.flatMap((c) =>
        c.options.map((o) => [`${c.name()} ${o.long ?? ''}`, o.defaultValue as unknown] as const),
      ),
    );
    expect(flags.get('migrate --batch-rows')).toBe(api.DEFAULTS.batchRows);
    expect(flags.get('migrate --jobs')).toBe(api.DEFAULTS.jobs);
    expect(flags.get('migrate --lock-timeout')).toBe(api.DEFAULTS.lockTimeoutSeconds);
    expect(flags.get('migrate --reject-dir')).toBe(api.DEFAULTS.rejectDir);
    expect(flags.get('verify --max-keys')).toBe(api.DEFAULTS.maxKeys);
    expect(flags.get('rollback --lock-timeout')).toBe(api.DEFAULTS.rollbackLockTimeoutSeconds);
    expect(flags.get('plan --schema')).toBe(api.DEFAULTS.schema);
    expect(flags.get('plan --source-timezone')).toBe(api.DEFAULTS.sourceTimezone);
  });

  it('plans a data dir with nothing but the public API, and the report carries the exit code the CLI would exit with', async () => {
    const m = makeInstance({ layout: 'legacy', instance: 'a' });
    const report = await api.runPlan({
      config: api.loadConfig({ dataDir: m.dir, instance: 'web-1' }, {}),
      mappings: api.loadBuiltinMappingSet(),
    });
    expect(report.command).toBe('plan');
    expect(report.instance).toBe('web-1');
    // The generated instance holds rows that cannot load, on purpose (fixtures/generate.ts).
    expect(report.exitCode).toBe(api.EXIT.REJECTED_ROWS);
    const discover = await api.runPlan({
      config: api.loadConfig({ dataDir: m.dir }, {}),
      mappings: api.loadBuiltinMappingSet(),
      inventoryOnly: true,
    });
    expect(discover.command).toBe('discover');
    // discover lists; only a file it could not read fails it.
    expect(discover.exitCode).toBe(api.EXIT.OK);
  });
});
