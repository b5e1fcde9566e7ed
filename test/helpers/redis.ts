import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { makeCerts } from './certs.js';
import { tempDir } from './files.js';

/**
 * A throwaway Redis for tests: Debian's redis-server (built with TLS), on a
 * free port of 127.0.0.1, with a random password, nothing saved, its files in
 * a temp dir removed by stop(). With `tls` (the default) it listens for TLS
 * only, with a certificate for `localhost` from test/helpers/certs.ts, and
 * `caFile` is the CA that signed it; without, for plain TCP only.
 *
 *   const redis = await startRedis();            // rediss://:<password>@localhost:<port>
 *   afterAll(() => redis.stop());
 *   const plain = await startRedis({ tls: false }); // redis://:<password>@127.0.0.1:<port>
 *
 * `password: null` starts it without one; `args` adds redis-server flags
 * (e.g. ['--rename-command', 'CONFIG', ''] as a managed Redis does).
 * REDIS_SERVER moves the binary (default: redis-server on the PATH).
 */
export interface RedisServer {
  /** The URL an instance would use, password included: rediss://:<password>@localhost:<port>/0, or redis://…@127.0.0.1. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly password: string | null;
  /** The CA that signed the server's certificate (PEM file), for --ca-file; null without TLS. */
  readonly caFile: string | null;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  readonly tls?: boolean;
  /** Default: a random one; null: no password at all. */
  readonly password?: string | null;
  readonly args?: readonly string[];
}

/** Why Redis tests cannot run here (no redis-server), or null when they can; `.ci/run` installs it. */
export function redisMissing(): string | null {
  const bin = process.env.REDIS_SERVER ?? 'redis-server';
  if (bin.includes('/')) return existsSync(bin) ? null : `${bin} does not exist`;
  const dirs = (process.env.PATH ?? '').split(':');
  return dirs.some((d) => existsSync(join(d, bin)))
    ? null
    : 'redis-server is not installed (apt-get install redis-server)';
}

/** A describe title that says why it was skipped, when redis-server is missing (as test/helpers/files.ts does for the peer corpus). */
export function redisTitle(title: string): string {
  const missing = redisMissing();
  return missing === null ? title : `${title} (skipped: ${missing})`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitReady(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${ms} ms:\n${log}`)), ms);
    const onData = (d: Buffer): void => {
      log += d.toString();
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${log}`));
    });
  });
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const tls = opts.tls ?? true;
  const password = opts.password === undefined ? randomBytes(12).toString('hex') : opts.password;
  const dir = tempDir('redis');
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', ''];
  if (tls) {
    makeCerts(dir);
    args.push(
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      join(dir, 'server.crt'),
      '--tls-key-file',
      join(dir, 'server.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.crt'),
      '--tls-auth-clients',
      'no',
    );
  } else args.push('--port', String(port));
  if (password !== null) args.push('--requirepass', password);
  args.push(...(opts.args ?? []));
  const child = spawn(process.env.REDIS_SERVER ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitReady(child, 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const host = tls ? 'localhost' : '127.0.0.1';
  const auth = password === null ? '' : `:${encodeURIComponent(password)}@`;
  return {
    url: `${tls ? 'rediss' : 'redis'}://${auth}${host}:${port}/0`,
    host,
    port,
    tls,
    password,
    caFile: tls ? join(dir, 'ca.crt') : null,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
