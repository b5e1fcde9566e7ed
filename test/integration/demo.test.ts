import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/files.js';

/**
 * The README's first command ends in `npm run demo` (scripts/demo.ts): the
 * whole job on two example instances, each step printed as typed. Here it runs
 * against the tests' server (its DATABASE_URL), as a newcomer's would against
 * theirs or an embedded one.
 */
describe('npm run demo', () => {
  it('migrates A, verifies, merges B, archives A and rolls B back, every step with the exit code it should have', () => {
    const out = join(tempDir('demo'), 'example-data');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'demo.ts'), '--out', out], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: inject('pgAdminUrl'), AM_DEMO_FROM_SOURCE: '1' },
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const steps = [...r.stdout.matchAll(/^\$ aragora-migrate (\w+).*\n(?:.*\n)*?→ exit (\d+)/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    // The example data holds rows that cannot load, on purpose: plan and migrate say so with exit 3.
    expect(steps).toEqual([
      ['plan', 3],
      ['migrate', 3],
      ['verify', 0],
      ['plan', 3],
      ['migrate', 3],
      ['status', 0],
      ['archive', 0],
      ['rollback', 0],
      ['status', 0],
    ]);
    expect(r.stdout).toMatch(/^✓ run \S+-web-b-\S+ loaded and verified; .*\(exit 3\)$/m);
    expect(r.stdout).toMatch(/archived/);
    expect(r.stdout).toMatch(/rolled back: \d+ row\(s\) deleted/);
    expect(existsSync(join(out, 'backup-a'))).toBe(true);
  });
});
