import { execFileSync } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway CA, a second unrelated CA, and a server certificate for
 * `localhost` signed by the first, made with openssl in `dir`:
 * `ca.crt`/`ca.key`, `other.crt`/`other.key`, `server.crt`/`server.key`.
 * For servers the tests start with TLS on (PostgreSQL, Redis, HTTPS).
 */
function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export interface MakeCertsOptions {
  /** chown the server key and certificate to this OS user (PostgreSQL reads them as `postgres`). */
  readonly owner?: string;
}

export function makeCerts(dir: string, opts: MakeCertsOptions = {}): void {
  // Two unrelated self-signed CAs: `ca` signs the server's certificate, `other` signs nothing.
  for (const name of ['ca', 'other'])
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
        `/CN=${name === 'ca' ? 'test' : 'other'}-ca`,
      ].concat(['-keyout', `${name}.key`, '-out', `${name}.crt`]),
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
  // PostgreSQL reads its key as the postgres OS user and wants it private.
  if (opts.owner !== undefined && process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', opts.owner]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', opts.owner]).toString().trim());
    for (const f of ['server.key', 'server.crt']) chownSync(join(dir, f), uid, gid);
  }
  execFileSync('chmod', ['600', join(dir, 'server.key')]);
}
