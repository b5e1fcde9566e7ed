import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirOrigin, loadConfig } from '../../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'am-env-file-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig with --env-file', () => {
  const env = file('env', 'ARAGORA_POSTGRES_DSN="postgresql://app:pw@from-env/app"\nARAGORA_DATA_DIR=/from/env\n');
  const dropIn = file(
    'db.conf',
    '[Service]\nEnvironment="ARAGORA_POSTGRES_DSN=host=from-dropin dbname=app password=pw" "ARAGORA_NOMIC_DIR=/from/dropin"\n',
  );

  it('reads the DSN and the data dir from an env file and from a drop-in', () => {
    const a = loadConfig({ envFile: [env] }, {});
    expect(a.target?.connectionString).toContain('from-env');
    expect(a.dataDir).toBe('/from/env');
    expect(dataDirOrigin(a)).toBe(`ARAGORA_DATA_DIR in ${env}`);
    const b = loadConfig({ envFile: [dropIn] }, {});
    expect(b.target?.display).toBe('host=from-dropin dbname=app password=***');
    expect(b.dataDir).toBe('/from/dropin');
    expect(dataDirOrigin(b)).toBe(`ARAGORA_NOMIC_DIR in ${dropIn}`);
  });

  it('lets later files win, the real environment win over files, and flags over both', () => {
    expect(loadConfig({ envFile: [env, dropIn] }, {}).target?.connectionString).toContain('from-dropin');
    expect(loadConfig({ envFile: [dropIn, env] }, {}).target?.connectionString).toContain('from-env');
    const real = { ARAGORA_POSTGRES_DSN: 'postgresql://from-real/app', ARAGORA_DATA_DIR: '/from/real' };
    const c = loadConfig({ envFile: [env] }, real);
    expect(c.target?.connectionString).toContain('from-real');
    expect(c.dataDir).toBe('/from/real');
    expect(dataDirOrigin(c)).toBe('ARAGORA_DATA_DIR');
    const d = loadConfig({ envFile: [env], databaseUrl: 'postgresql://from-flag/app', dataDir: '/from/flag' }, real);
    expect(d.target?.connectionString).toContain('from-flag');
    expect(d.dataDir).toBe('/from/flag');
  });

  it('merges per variable: an ARAGORA_POSTGRES_DSN in a file beats a DATABASE_URL in the environment, as in the service', () => {
    expect(loadConfig({ envFile: [env] }, { DATABASE_URL: 'postgresql://real/x' }).target?.connectionString).toContain(
      'from-env',
    );
  });

  it('counts an empty value as unset, in the environment and in files', () => {
    const empty = file('empty', 'ARAGORA_POSTGRES_DSN=\nARAGORA_DATA_DIR=""\n');
    const c = loadConfig({ envFile: [env, empty] }, { ARAGORA_POSTGRES_DSN: '' });
    expect(c.target?.connectionString).toContain('from-env');
    expect(c.dataDir).toBe('/from/env');
  });

  it('refuses a missing or unreadable file, a bad line, and a systemd specifier it would use, never showing a value', () => {
    expect(() => loadConfig({ envFile: [join(dir, 'nope')] }, {})).toThrow(
      /cannot read the env file .*nope \(ENOENT\)/,
    );
    expect(() => loadConfig({ envFile: [dir] }, {})).toThrow(/EISDIR/);
    const bad = file('bad', 'DATABASE_URL=postgresql://u:s3cret@h/db\nthis is s3cret\n');
    expect(() => loadConfig({ envFile: [bad] }, {})).toThrow(new RegExp(`^${bad}:2: expected NAME=VALUE$`));
    const spec = file('spec.conf', '[Service]\nEnvironment=DATABASE_URL=postgresql://u:p%40s3cret@h/db OTHER=%h\n');
    expect(() => loadConfig({ envFile: [spec] }, {})).toThrow(
      new RegExp(`^${spec}:2: DATABASE_URL holds a systemd specifier`),
    );
    // Set in the environment, the file's value is not used, so its specifier does not matter; nor does OTHER's ever.
    expect(loadConfig({ envFile: [spec] }, { DATABASE_URL: 'postgresql://h/db' }).target).not.toBeNull();
    if (process.getuid?.() !== 0) {
      const locked = file('locked', 'A=1\n');
      chmodSync(locked, 0o000);
      expect(() => loadConfig({ envFile: [locked] }, {})).toThrow(/EACCES/);
    }
  });
});
