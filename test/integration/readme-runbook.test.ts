import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startFakeAragora, type FakeAragora } from '../helpers/fake-aragora-http.js';
import { REPO_ROOT, tempDir } from '../helpers/files.js';
import { makeInstance } from '../helpers/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { redisMissing, startRedis, type RedisServer } from '../helpers/redis.js';

/**
 * README.md's runbook, run as written: its commands copied out of the README,
 * with only the data dir, the backup dir, the DSN, the env files and the URLs
 * pointed at a test instance, and `--instance` given once, as the README says.
 */
describe("the README's runbook, copy-pasted", () => {
  let db: TestDatabase;
  let redis: RedisServer | null = null;
  let fakes: FakeAragora[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('runbook');
    if (redisMissing() === null) redis = await startRedis();
    fakes = await Promise.all([startFakeAragora(), startFakeAragora(), startFakeAragora()]);
  });
  afterAll(async () => {
    await Promise.all([db.drop(), redis?.stop(), ...fakes.map((f) => f.close())]);
  });

  it('plans, migrates, archives the run with --instance given once, and ends with the check', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf("## The operator's runbook"));
    const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l.startsWith('aragora-migrate '));
    expect(commands.map((c) => c.split(/\s+/)[1])).toEqual(['plan', 'migrate', 'archive', 'check']);
    expect(commands.filter((c) => c.includes('--instance '))).toHaveLength(1);

    const m = makeInstance({ layout: 'legacy', instance: 'a' });
    const backup = join(tempDir('runbook-backup'), 'web-a');
    const env = { ARAGORA_POSTGRES_DSN: db.url };
    // Both instances' env files as the guide writes them, with this test's servers.
    const dir = tempDir('runbook-env');
    const envFile = (name: string): string => {
      const path = join(dir, name);
      writeFileSync(
        path,
        [
          `ARAGORA_POSTGRES_DSN=${db.url}`,
          ...(redis === null ? [] : [`ARAGORA_REDIS_URL=${redis.url}`]),
          'ARAGORA_DB_BACKEND=postgresql',
          'ARAGORA_REQUIRE_DISTRIBUTED=true',
          'ARAGORA_MULTI_INSTANCE=true',
          'ARAGORA_SINGLE_INSTANCE=false',
          'ARAGORA_ENV=production',
          '',
        ].join('\n'),
      );
      return path;
    };
    const [lb, webA, webB] = fakes.map((f) => f.url);
    for (const command of commands) {
      const args = command
        .replace('/app/data', m.dir)
        .replace('/backup/web-a', backup)
        .replace('/etc/aragora/env', envFile('web-a.env'))
        .replace(' web-b.env', ` ${envFile('web-b.env')}`)
        .replace('https://aragora.example.com', lb ?? '')
        .replace('https://web-a.example.com', webA ?? '')
        .replace('https://web-b.example.com', webB ?? '')
        .split(/\s+/)
        .slice(1);
      // The test's Redis has a private CA: trusted as an operator's machine would trust theirs.
      const r = runCli(args, { ...env, ...(redis?.caFile ? { NODE_EXTRA_CA_CERTS: redis.caFile } : {}) });
      if (args[0] !== 'check') {
        // The example data holds rows that cannot load, on purpose: plan and migrate say so with exit 3.
        expect(r.code, `${command}\n${r.stderr}`).toBe(args[0] === 'archive' ? 0 : 3);
        continue;
      }
      // The test server has no TLS: the check names that (and only that, before the switch) and exits 5.
      expect(r.code, `${command}\n${r.stderr}`).toBe(5);
      const beforeSwitch = r.stdout.slice(r.stdout.indexOf('Before the switch'), r.stdout.indexOf('After the switch'));
      const failed = [...beforeSwitch.matchAll(/^ {2}✗ (.*)$/gm)].map((x) => x[1]);
      expect(failed, r.stdout).toEqual([
        'sslmode is require or stronger',
        expect.stringMatching(/^The PostgreSQL connection negotiates TLS/),
        ...(redis === null ? ['Every instance names the same Redis'] : []),
      ]);
      expect(beforeSwitch).toMatch(/✓ The role can create the tables/);
      expect(r.stdout).toMatch(/\nAfter the switch\n {2}[✓✗!–] /);
      expect(r.stdout).not.toContain(redis?.password ?? '-');
    }
    const status = runCli(['status'], env);
    expect(status.stdout).toMatch(/instance web-a/);
    expect(status.stdout).toMatch(/\(verified, archived\)/);
  });
});
