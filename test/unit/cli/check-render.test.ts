import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCheckMarkdown } from '../../../src/cli/render/check-markdown.js';
import { renderCheckText } from '../../../src/cli/render/check-text.js';
import type { CheckItem, CheckReport } from '../../../src/index.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/files.js';

const item = (over: Partial<CheckItem> & Pick<CheckItem, 'id' | 'status'>): CheckItem => ({
  phase: 'before',
  title: over.id,
  subject: null,
  detail: `${over.id} found`,
  fix: over.status === 'pass' ? null : `${over.id} fix`,
  ...over,
});

const report = (items: CheckItem[]): CheckReport => {
  const counts = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const i of items) counts[i.status]++;
  const ok = counts.fail === 0;
  return {
    command: 'check',
    exitCode: ok ? 0 : 5,
    ok,
    phases: ['before', 'after'],
    instances: ['a.env', 'b.env + b.conf'],
    items,
    counts,
  };
};

describe('renderCheckText', () => {
  const r = report([
    item({ id: 'pg.reachable', status: 'pass', subject: 'postgresql://u:***@db/app' }),
    item({ id: 'pg.tls', status: 'fail', subject: 'postgresql://u:***@db/app' }),
    item({ id: 'redis.auth', status: 'skip' }),
    item({ id: 'http.healthz', phase: 'after', status: 'warn' }),
  ]);
  const text = renderCheckText(r);

  it('lists each phase with a mark per item, the fix under what is not a pass', () => {
    expect(text).toContain('aragora-migrate check: 2 instance(s): a.env, b.env + b.conf\n');
    expect(text).toContain(
      '\nBefore the switch\n  ✓ pg.reachable (postgresql://u:***@db/app)\n      pg.reachable found\n',
    );
    // The subject is said once for items that share it.
    expect(text).toContain('  ✗ pg.tls\n      pg.tls found\n      fix: pg.tls fix\n');
    expect(text).toContain('  – redis.auth\n      not checked: redis.auth found\n      fix: redis.auth fix\n');
    expect(text).toContain('\nAfter the switch\n  ! http.healthz\n');
  });

  it('ends with the verdict and exit code, and the next step when an item failed', () => {
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([
      '✗ 1 of 4 item(s) failed: the cutover is not ready; 1 to look at (!), 1 not checked (–) (exit 5)',
      'next: apply the fix under each ✗, then run the same aragora-migrate check again',
    ]);
    const ok = renderCheckText(report([item({ id: 'a', status: 'pass' })]));
    expect(ok.trimEnd().split('\n').at(-1)).toBe('✓ no item failed: 1 of 1 pass (exit 0)');
  });
});

describe('renderCheckMarkdown', () => {
  it('writes the verdict, one table per phase and the next step', () => {
    const md = renderCheckMarkdown(
      report([
        item({ id: 'pg.tls', status: 'fail', subject: 'db|x' }),
        item({ id: 'x', phase: 'after', status: 'pass' }),
      ]),
    );
    expect(md).toMatch(/^# aragora-migrate check\n\n\*\*Verdict:\*\* ✗ 1 of 2 item\(s\) failed/);
    expect(md).toContain('- Exit code: 5 (refused)');
    expect(md).toContain('- Instances: `a.env`, `b.env + b.conf`');
    expect(md).toContain('## Before the switch\n\n|  | item | subject | found | fix |');
    expect(md).toContain('| ✗ | pg.tls | `db\\|x` | pg.tls found | pg.tls fix |');
    expect(md).toContain('## After the switch');
    expect(md).toContain('## Next\n\n- apply the fix under each ✗');
  });
});

describe('check on the command line', () => {
  it('makes each --env-file an instance, and a --drop-in part of the one before it', () => {
    const dir = tempDir('check-cli');
    const a = join(dir, 'a.env');
    const b = join(dir, 'b.env');
    const conf = join(dir, 'b.conf');
    writeFileSync(a, 'ARAGORA_DB_BACKEND=postgresql\n');
    writeFileSync(b, 'ARAGORA_DB_BACKEND=postgresql\n');
    writeFileSync(conf, '[Service]\nEnvironment=ARAGORA_DB_BACKEND=sqlite ARAGORA_ENV=production\n');
    const r = runCli(['check', '--env-file', a, '--env-file', b, '--drop-in', conf]);
    expect(r.stdout).toContain(`2 instance(s): ${a}, ${b} + ${conf}`);
    // b.env wins over the drop-in, as EnvironmentFile= over Environment=.
    expect(r.stdout).toMatch(/✓ ARAGORA_DB_BACKEND=postgresql on every instance/);
    expect(r.stdout).toContain(`${a}: not set; set in ${conf}:2`);
    expect(r.code).toBe(5);
  });

  it('refuses to run with nothing to check (exit 2)', () => {
    const r = runCli(['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('check has nothing to check');
    expect(r.stderr).toContain('--env-file');
  });
});
