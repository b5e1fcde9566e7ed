import { describe, expect, it } from 'vitest';
import { maskDsn, parseDsn } from '../../../src/config/dsn.js';
import { loadConfig } from '../../../src/config/load-config.js';

describe('parseDsn', () => {
  it('reads sslmode=require as libpq does: encrypted, certificate not verified', () => {
    const d = parseDsn('postgresql://app:s3cret@db.example.com:5432/aragora?sslmode=require');
    expect(d.sslMode).toBe('require');
    expect(d.ssl).toEqual({ rejectUnauthorized: false });
    expect(d.connectionString).not.toContain('sslmode');
  });

  it('verifies chain and host for verify-full, chain only for verify-ca', () => {
    const full = parseDsn('postgresql://db.example.com/aragora?sslmode=verify-full&sslrootcert=system');
    expect(full.ssl).toEqual({ rejectUnauthorized: true });
    const ca = parseDsn('postgresql://db.example.com/aragora?sslmode=verify-ca&sslrootcert=system');
    expect(ca.ssl).toMatchObject({ rejectUnauthorized: true });
    expect(typeof (ca.ssl as { checkServerIdentity?: unknown }).checkServerIdentity).toBe('function');
  });

  it('defaults to prefer, like libpq', () => {
    expect(parseDsn('postgresql://localhost/x').sslMode).toBe('prefer');
  });

  it('refuses an unknown sslmode and a non-postgres URL with a usage error', () => {
    expect(() => parseDsn('postgresql://h/x?sslmode=sometimes')).toThrow(/unknown sslmode/);
    expect(() => parseDsn('mysql://h/x')).toThrow(/postgresql:\/\//);
  });

  it('never shows the password', () => {
    expect(maskDsn('postgresql://app:s3cret@h:5432/db')).toBe('postgresql://app:***@h:5432/db');
    expect(maskDsn('postgresql://h/db?password=s3cret')).not.toContain('s3cret');
    expect(parseDsn('postgresql://app:s3cret@h/db').display).not.toContain('s3cret');
    // The client key's passphrase is a secret too.
    expect(maskDsn('postgresql://h/db?sslmode=require&sslpassword=k3y')).not.toContain('k3y');
  });
});

describe('loadConfig', () => {
  it('takes the DSN from the flag, then ARAGORA_POSTGRES_DSN, then DATABASE_URL', () => {
    const env = { ARAGORA_POSTGRES_DSN: 'postgresql://a/one', DATABASE_URL: 'postgresql://b/two' };
    expect(loadConfig({ databaseUrl: 'postgresql://c/flag' }, env).target?.connectionString).toContain('/flag');
    expect(loadConfig({}, env).target?.connectionString).toContain('/one');
    expect(loadConfig({}, { DATABASE_URL: 'postgresql://b/two' }).target?.connectionString).toContain('/two');
    expect(loadConfig({}, {}).target).toBeNull();
  });

  it('takes the data dir from the flag, then ARAGORA_DATA_DIR, then ARAGORA_NOMIC_DIR, then .nomic', () => {
    expect(loadConfig({ dataDir: '/x' }, { ARAGORA_DATA_DIR: '/y' }).dataDir).toBe('/x');
    expect(loadConfig({}, { ARAGORA_DATA_DIR: '/y', ARAGORA_NOMIC_DIR: '/z' }).dataDir).toBe('/y');
    expect(loadConfig({}, { ARAGORA_NOMIC_DIR: '/z' }).dataDir).toBe('/z');
    expect(loadConfig({}, {}).dataDir.endsWith('.nomic')).toBe(true);
  });

  it('refuses an unknown time zone', () => {
    expect(() => loadConfig({ sourceTimezone: 'Mars/Olympus' }, {})).toThrow(/unknown time zone/);
  });
});
