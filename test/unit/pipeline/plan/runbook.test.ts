import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/load-config.js';
import { buildRunbook } from '../../../../src/pipeline/plan/runbook.js';

/** The command of the runbook that starts with `aragora-migrate <name>`. */
function command(steps: readonly string[], name: string): string {
  const step = steps.find((s) => s.startsWith(`aragora-migrate ${name} `) || s.includes(`: aragora-migrate ${name} `));
  if (step === undefined) throw new Error(`no ${name} step in:\n${steps.join('\n')}`);
  return step.slice(step.indexOf(`aragora-migrate ${name} `)).split('   (')[0] as string;
}

describe("plan's runbook", () => {
  it('carries the options plan ran with that change what migrate, verify, archive and rollback do', () => {
    const config = loadConfig(
      {
        dataDir: '/srv/aragora data',
        schema: 'aragora',
        sourceTimezone: 'Europe/Berlin',
        mappings: '/etc/aragora-migrate/mappings',
        instance: 'web-a',
      },
      {},
    );
    const steps = buildRunbook(config, 0, { auto: true });
    const migrate = command(steps, 'migrate');
    for (const flag of [
      '--auto',
      '--schema aragora',
      '--source-timezone Europe/Berlin',
      '--mappings /etc/aragora-migrate/mappings',
    ]) {
      expect(migrate).toContain(flag);
      expect(command(steps, 'verify')).toContain(flag);
      // No target given: plan is to be run again, with the same options.
      expect(command(steps, 'plan')).toContain(flag);
    }
    expect(migrate).toContain("--data-dir '/srv/aragora data'");
    expect(command(steps, 'archive')).toContain('--schema aragora');
    expect(command(steps, 'rollback')).toContain('--mappings /etc/aragora-migrate/mappings');
  });

  it('names no option left at its default', () => {
    const steps = buildRunbook(loadConfig({ dataDir: '/srv/aragora', instance: 'web-a' }, {}), 0, { auto: false });
    expect(command(steps, 'migrate')).toBe(
      'aragora-migrate migrate --data-dir /srv/aragora --instance web-a --database-url "$ARAGORA_POSTGRES_DSN"',
    );
    expect(steps.join('\n')).not.toMatch(/--auto|--schema|--source-timezone|--mappings/);
  });
});
