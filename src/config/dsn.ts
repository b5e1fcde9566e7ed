import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../errors.js';
import { isKeyValueDsn, keyValueToUrl, parseKeyValueDsn, renderKeyValueDsn } from './dsn-keyvalue.js';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** A parsed DSN: what node-postgres needs, plus the sslmode as libpq means it. */
export interface TargetDsn {
  /** The DSN without the ssl* parameters, which are applied through `ssl` below. */
  readonly connectionString: string;
  readonly sslMode: SslMode;
  /** TLS options for modes that encrypt; `false` for disable. */
  readonly ssl: false | ConnectionOptions;
  /** For display: the password replaced by `***`. */
  readonly display: string;
}

const SSL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'uselibpqcompat'];

/**
 * Replaces the password of a DSN by `***`: in a URL its password and any
 * `password=` parameter, in a key=value DSN its password setting.
 */
export function maskDsn(dsn: string): string {
  if (isKeyValueDsn(dsn)) {
    try {
      return renderKeyValueDsn(parseKeyValueDsn(dsn));
    } catch {
      // Unparseable: mask what looks like a password setting, quoted or not.
      return dsn.replace(/password\s*=\s*(?:'(?:\\.|[^'\\])*'?|\S*)/gi, 'password=***');
    }
  }
  try {
    const url = new URL(dsn);
    if (url.password !== '') url.password = '***';
    // sslpassword unlocks the client key: as secret as the password.
    for (const key of ['password', 'sslpassword']) if (url.searchParams.has(key)) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    return dsn.replace(/(:\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/password=[^&\s]*/gi, 'password=***');
  }
}

/**
 * node-postgres reads `sslmode=require` as "verify the certificate", which fails
 * against RDS without its CA bundle, while libpq (psql, Aragora's asyncpg)
 * encrypts without verifying. The ssl parameters are therefore taken out of the
 * DSN and turned into TLS options with libpq's meaning:
 * require encrypts only (or verifies the chain when sslrootcert is given, as
 * libpq does), verify-ca checks the chain, verify-full the chain and host name.
 */
export function parseDsn(dsn: string): TargetDsn {
  // A key=value DSN becomes the equivalent URL (src/config/dsn-keyvalue.ts) and is shown in its own form.
  const keyValue = isKeyValueDsn(dsn) ? parseKeyValueDsn(dsn) : null;
  let url: URL;
  try {
    url = new URL(keyValue === null ? dsn : keyValueToUrl(keyValue));
  } catch (err: unknown) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      'CONFIG_DSN_INVALID',
      `the database URL is neither a valid URL nor libpq key=value settings: ${maskDsn(dsn)}`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      'CONFIG_DSN_INVALID',
      `the database URL must start with postgresql:// (got ${url.protocol}//)`,
    );
  }
  const params = url.searchParams;
  const rawMode = (params.get('sslmode') ?? 'prefer').toLowerCase();
  if (!(SSL_MODES as readonly string[]).includes(rawMode)) {
    throw new ConfigError('CONFIG_DSN_INVALID', `unknown sslmode "${rawMode}"; use one of ${SSL_MODES.join(', ')}`);
  }
  const sslMode = rawMode as SslMode;
  const rootCertPath = params.get('sslrootcert');
  const certPath = params.get('sslcert');
  const keyPath = params.get('sslkey');
  for (const p of SSL_PARAMS) params.delete(p);

  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      throw new ConfigError('CONFIG_DSN_INVALID', `cannot read ${what} ${path} named in the database URL`);
    }
  };
  const clientCert: ConnectionOptions = {
    ...(certPath !== null ? { cert: read(certPath, 'sslcert') } : {}),
    ...(keyPath !== null ? { key: read(keyPath, 'sslkey') } : {}),
  };
  const defaultRoot = join(homedir(), '.postgresql', 'root.crt');
  const ca = (): ConnectionOptions => {
    if (rootCertPath === 'system') return {};
    if (rootCertPath !== null) return { ca: read(rootCertPath, 'sslrootcert') };
    return existsSync(defaultRoot) ? { ca: read(defaultRoot, 'sslrootcert') } : {};
  };

  let ssl: false | ConnectionOptions;
  switch (sslMode) {
    case 'disable':
      ssl = false;
      break;
    case 'allow':
    case 'prefer':
      ssl = { ...clientCert, rejectUnauthorized: false };
      break;
    case 'require':
      ssl =
        rootCertPath !== null
          ? { ...clientCert, ...ca(), rejectUnauthorized: true, checkServerIdentity: () => undefined }
          : { ...clientCert, rejectUnauthorized: false };
      break;
    case 'verify-ca':
      ssl = { ...clientCert, ...ca(), rejectUnauthorized: true, checkServerIdentity: () => undefined };
      break;
    case 'verify-full':
      ssl = { ...clientCert, ...ca(), rejectUnauthorized: true };
      break;
  }
  const display = keyValue === null ? maskDsn(dsn) : renderKeyValueDsn(keyValue);
  return { connectionString: url.toString(), sslMode, ssl, display };
}
