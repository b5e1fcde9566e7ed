import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisClientError, RedisConnection } from '../../../../src/pipeline/check/redis-client.js';
import { RespError } from '../../../../src/pipeline/check/resp.js';
import { redisMissing, redisTitle, startRedis, type RedisServer } from '../../../helpers/redis.js';

/** The RESP client against a real Redis, with TLS and without, and a server that never answers. */
describe.skipIf(redisMissing() !== null)(redisTitle('RedisConnection'), () => {
  let tls: RedisServer;
  let plain: RedisServer;
  let silent: Server;
  let silentPort = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    [tls, plain] = await Promise.all([startRedis(), startRedis({ tls: false })]);
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const a = silent.address();
    silentPort = typeof a === 'object' && a !== null ? a.port : 0;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([tls?.stop(), plain?.stop(), new Promise((resolve) => silent?.close(resolve))]);
  });

  const ca = (): string => readFileSync(tls.caFile ?? '', 'utf8');

  it('authenticates over TLS and runs PING, CONFIG GET and INFO', async () => {
    const c = await RedisConnection.connect(
      { host: 'localhost', port: tls.port, tls: true },
      { timeoutMs: 5000, ca: ca() },
    );
    try {
      expect(c.tlsInfo?.protocol).toMatch(/^TLSv1\.[23]$/);
      expect(await c.command(['PING'])).toBeInstanceOf(RespError);
      expect(await c.command(['AUTH', tls.password ?? ''])).toBe('OK');
      expect(await c.command(['PING'])).toBe('PONG');
      expect(await c.command(['CONFIG', 'GET', 'maxmemory-policy'])).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await c.command(['INFO', 'memory'])).toMatch(/maxmemory_policy:noeviction/);
    } finally {
      c.close();
    }
  });

  it('returns a refused AUTH as the error value the server sent', async () => {
    const c = await RedisConnection.connect({ host: '127.0.0.1', port: plain.port, tls: false }, { timeoutMs: 5000 });
    try {
      const reply = await c.command(['AUTH', 'wrong-password']);
      expect(reply).toBeInstanceOf(RespError);
      expect((reply as RespError).message).toMatch(/^WRONGPASS/);
      expect((reply as RespError).message).not.toContain('wrong-password');
    } finally {
      c.close();
    }
  });

  it('types its failures: an unknown CA as tls, nothing listening as connect, silence as timeout', async () => {
    const untrusted = RedisConnection.connect({ host: 'localhost', port: tls.port, tls: true }, { timeoutMs: 5000 });
    await expect(untrusted).rejects.toMatchObject({ kind: 'tls' });
    await expect(untrusted).rejects.toBeInstanceOf(RedisClientError);
    await expect(
      RedisConnection.connect({ host: '127.0.0.1', port: 1, tls: false }, { timeoutMs: 5000 }),
    ).rejects.toMatchObject({ kind: 'connect' });
    const quiet = await RedisConnection.connect(
      { host: '127.0.0.1', port: silentPort, tls: false },
      { timeoutMs: 300 },
    );
    await expect(quiet.command(['PING'])).rejects.toMatchObject({ kind: 'timeout' });
    await expect(
      RedisConnection.connect({ host: '127.0.0.1', port: silentPort, tls: true }, { timeoutMs: 300 }),
    ).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('says the server closed when a plain client talks to the TLS port', async () => {
    const c = await RedisConnection.connect({ host: '127.0.0.1', port: tls.port, tls: false }, { timeoutMs: 3000 });
    const err = (await c.command(['PING']).catch((e: unknown) => e)) as RedisClientError;
    expect(err).toBeInstanceOf(RedisClientError);
    expect(err.kind).toBe('closed');
    c.close();
  });
});
