import { execFileSync } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDsn } from '../../../src/config/dsn.js';
import { connectTarget } from '../../../src/target/connect.js';
import { startEmbedded, type ResolvedServer } from '../../helpers/global-setup.js';

/**
 * sslmode as libpq means it, against a real PostgreSQL with TLS on (the shared
 * test server has none): a CA and a server certificate for localhost are made
 * with openssl, and a throwaway server is started with them.
 */
function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function makeCerts(dir: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=other-ca',
      '-keyout',
      'other.key',
      '-out',
      'other.crt',
    ],
    dir,
  );
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr'],
    dir,
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'server.crt',
    ],
    dir,
  );
  // The server reads its key as the postgres OS user and wants it private.
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const f of ['server.key', 'server.crt']) chownSync(join(dir, f), uid, gid);
  }
  execFileSync('chmod', ['600', join(dir, 'server.key')]);
}

describe('connecting with sslmode', () => {
  let server: ResolvedServer;
  let certDir = '';
  let base: URL;

  beforeAll(async () => {
    server = await startEmbedded(
      ['-c', 'ssl=on', '-c', 'ssl_cert_file=../server.crt', '-c', 'ssl_key_file=../server.key'],
      async (scratch) => {
        certDir = scratch;
        makeCerts(scratch);
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
