import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT, tempDir } from '../helpers/files.js';
import { makeInstance } from '../helpers/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * README.md's runbook, run as written: its commands copied out of the README,
 * with only the data dir, the backup dir and the DSN pointed at a test
 * instance, and `--instance` given once, as the README says.
 */
describe("the README's runbook, copy-pasted", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('runbook');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('plans, migrates, and archives the run with --instance given once', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf("## The operator's runbook"));
    const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l.startsWith('aragora-migrate '));
    expect(commands.map((c) => c.split(/\s+/)[1])).toEqual(['plan', 'migrate', 'archive']);
    expect(commands.filter((c) => c.includes('--instance'))).toHaveLength(1);

    const m = makeInstance({ layout: 'legacy', instance: 'a' });
    const backup = join(tempDir('runbook-backup'), 'web-a');
    const env = { ARAGORA_POSTGRES_DSN: db.url };
    for (const command of commands) {
      const args = command.replace('/app/data', m.dir).replace('/backup/web-a', backup).split(/\s+/).slice(1);
      const r = runCli(args, env);
      // The example data holds rows that cannot load, on purpose: plan and migrate say so with exit 3.
      expect(r.code, `${command}\n${r.stderr}`).toBe(args[0] === 'archive' ? 0 : 3);
    }
    const status = runCli(['status'], env);
    expect(status.stdout).toMatch(/instance web-a/);
    expect(status.stdout).toMatch(/\(verified, archived\)/);
  });
});
