import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { useTestDatabase } from '../helpers/pg.js';

/**
 * `--env-file` end to end: the test database's DSN is only in the file, in each
 * form an operator has (Aragora's env file, a systemd drop-in), and the
 * password never reaches stdout or stderr. The test server trusts its clients,
 * so a made-up password is sent and ignored unless the harness URL has one.
 */
describe('--env-file', () => {
  const db = useTestDatabase('cli_env_file');
  const dir = tempDir('env-file');

  function target(): { host: string; port: string; dbname: string; user: string; password: string } {
    const u = new URL(db.url);
    return {
      host: u.hostname,
      port: u.port === '' ? '5432' : u.port,
      dbname: decodeURIComponent(u.pathname.slice(1)),
      user: decodeURIComponent(u.username),
      password: u.password === '' ? "env-file s3cret@'pw" : decodeURIComponent(u.password),
    };
  }

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  function expectNoPassword(res: { stdout: string; stderr: string }, password: string): void {
    if (password.length < 8) return;
    expect(res.stdout + res.stderr).not.toContain(password);
  }

  it('reads a key=value DSN from a KEY=VALUE file', () => {
    const t = target();
    const quoted = `'${t.password.replace(/[\\']/g, (c) => `\\${c}`)}'`;
    const dsn = `host=${t.host} port=${t.port} dbname=${t.dbname} user=${t.user} password=${quoted} sslmode=disable`;
    // The DSN holds single quotes, so the file's value is double-quoted with \" and \\ escapes.
    const env = file(
      'env',
      `# Aragora\nexport ARAGORA_POSTGRES_DSN="${dsn.replace(/["\\`$]/g, (c) => `\\${c}`)}"\nOTHER=1\n`,
    );
    const res = runCli(['status', '--env-file', env]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/no runs yet/);
    expect(res.stdout).toContain(`dbname=${t.dbname} user=${t.user} password=*** sslmode=disable`);
    expectNoPassword(res, t.password);
  });

  it('reads a URL from a systemd drop-in, %% for a percent sign', () => {
    const t = target();
    const url = `postgresql://${encodeURIComponent(t.user)}:${encodeURIComponent(t.password)}@${t.host}:${t.port}/${t.dbname}?sslmode=disable`;
    const dropIn = file(
      'db.conf',
      `[Unit]\nDescription=Aragora\n\n[Service]\nEnvironment="DATABASE_URL=${url.replaceAll('%', '%%')}" "ARAGORA_DATA_DIR=/var/lib/aragora"\nExecStart=/usr/bin/aragora\n`,
    );
    const res = runCli(['status', '--env-file', dropIn, '--json', '-']);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ command: 'status', exitCode: 0, runs: [] });
    expect(res.stdout).toContain(':***@');
    expectNoPassword(res, t.password);
    expectNoPassword(res, encodeURIComponent(t.password));
  });

  it('lets the real environment win over the file, and later files over earlier ones', () => {
    const broken = file('broken', 'ARAGORA_POSTGRES_DSN=host=nowhere.invalid connect_timeout=1\n');
    const good = file('good', `ARAGORA_POSTGRES_DSN=${db.url}\n`);
    expect(runCli(['status', '--env-file', broken], { ARAGORA_POSTGRES_DSN: db.url }).code).toBe(0);
    expect(runCli(['status', '--env-file', broken, '--env-file', good]).code).toBe(0);
  });

  it('refuses a line it cannot parse with CONFIG_ENV_FILE, naming file and line, not the value', () => {
    const t = target();
    const bad = file('bad', `ARAGORA_POSTGRES_DSN=${db.url}\npassword ${t.password}\n`);
    const res = runCli(['status', '--env-file', bad]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`error CONFIG_ENV_FILE: ${bad}:2: expected NAME=VALUE`);
    expect(res.stderr).toMatch(/^hint: /m);
    expectNoPassword(res, t.password);
  });

  it('is taken by every command that reads configuration', () => {
    const names = buildProgram().commands.map((c) => [c.name(), c.options.some((o) => o.long === '--env-file')]);
    expect(Object.fromEntries(names)).toEqual({
      discover: true,
      plan: true,
      migrate: true,
      verify: true,
      archive: true,
      status: true,
      rollback: true,
      check: true,
    });
  });
});
