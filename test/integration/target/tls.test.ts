import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDsn } from '../../../src/config/dsn.js';
import { connectTarget } from '../../../src/target/connect.js';
import { makeCerts } from '../../helpers/certs.js';
import { startEmbedded, type ResolvedServer } from '../../helpers/global-setup.js';

/**
 * sslmode as libpq means it, against a real PostgreSQL with TLS on (the shared
 * test server has none): a CA and a server certificate for localhost are made
 * with openssl (test/helpers/certs.ts), and a throwaway server is started with them.
 */
describe('connecting with sslmode', () => {
  let server: ResolvedServer;
  let certDir = '';
  let base: URL;

  beforeAll(async () => {
    server = await startEmbedded(
      ['-c', 'ssl=on', '-c', 'ssl_cert_file=../server.crt', '-c', 'ssl_key_file=../server.key'],
      async (scratch) => {
        certDir = scratch;
        makeCerts(scratch, { owner: 'postgres' });
      },
    );
    base = new URL(server.url);
  }, 120_000);

  afterAll(async () => {
    await server?.teardown?.();
  });

  const dsn = (host: string, query: string): string => {
    const u = new URL(base.toString());
    u.hostname = host;
    u.search = query;
    return u.toString();
  };

  const sslInUse = async (url: string): Promise<boolean> => {
    const client = await connectTarget(parseDsn(url));
    try {
      const r = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return r.rows[0]?.ssl === true;
    } finally {
      await client.end();
    }
  };

  it('sslmode=require encrypts without any CA, as libpq does against RDS', async () => {
    expect(await sslInUse(dsn('127.0.0.1', '?sslmode=require'))).toBe(true);
  });

  it('sslmode=verify-full with sslrootcert verifies chain and host name', async () => {
    expect(await sslInUse(dsn('localhost', `?sslmode=verify-full&sslrootcert=${join(certDir, 'ca.crt')}`))).toBe(true);
    await expect(
      connectTarget(parseDsn(dsn('localhost', `?sslmode=verify-full&sslrootcert=${join(certDir, 'other.crt')}`))),
    ).rejects.toMatchObject({
      code: 'TARGET_UNREACHABLE',
    });
    // Right CA, wrong name: 127.0.0.1 is not in the certificate.
    await expect(
      connectTarget(parseDsn(dsn('127.0.0.1', `?sslmode=verify-full&sslrootcert=${join(certDir, 'ca.crt')}`))),
    ).rejects.toMatchObject({
      code: 'TARGET_UNREACHABLE',
    });
  });

  it('prefer (the default) encrypts when the server offers TLS; disable does not', async () => {
    expect(await sslInUse(dsn('127.0.0.1', ''))).toBe(true);
    expect(await sslInUse(dsn('127.0.0.1', '?sslmode=disable'))).toBe(false);
  });

  it('never puts the password in an error', async () => {
    const wrong = new URL(dsn('127.0.0.1', '?sslmode=require'));
    wrong.password = 'not-the-password-xyz';
    const err = (await connectTarget(parseDsn(wrong.toString())).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain('not-the-password-xyz');
    expect(err.message).toContain('***');
  });
});
