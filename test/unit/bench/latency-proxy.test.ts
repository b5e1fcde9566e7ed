import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  forkLatencyProxy,
  proxiedUrl,
  startLatencyProxy,
  targetOf,
  type LatencyProxy,
} from '../../../bench/latency-proxy.js';

/** An echo server on a free local port. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when `socket` has received `bytes` bytes in all, with the time that happened. */
function receive(socket: Socket, bytes: number): Promise<{ text: string; at: number; ended: Promise<number> }> {
  let text = '';
  const ended = new Promise<number>((r) => socket.once('end', () => r(performance.now())));
  return new Promise((resolve) => {
    socket.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (text.length >= bytes) resolve({ text, at: performance.now(), ended });
    });
  });
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('latency proxy (bench --latency)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    // Last in, first out: the client, then the proxy, then the echo server its connections end on.
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const start = async (delayMs: number): Promise<LatencyProxy> => {
    const echo = await echoServer();
    cleanup.push(() => new Promise<void>((r) => echo.server.close(() => r())));
    const proxy = await startLatencyProxy({ targetHost: '127.0.0.1', targetPort: echo.port, delayMs });
    cleanup.push(() => proxy.close());
    return proxy;
  };

  it('delays a round trip by twice the one-way delay', async () => {
    const proxy = await start(40);
    const client = await connect(proxy.port);
    cleanup.push(() => void client.destroy());
    const got = receive(client, 4);
    const sent = performance.now();
    client.write('ping');
    const { text, at } = await got;
    expect(text).toBe('ping');
    expect(at - sent).toBeGreaterThanOrEqual(80);
    expect(at - sent).toBeLessThan(500);
    const stats = proxy.stats();
    expect(stats).toMatchObject({ delayMs: 40, connections: 1, bytesUp: 4, bytesDown: 4 });
    expect(stats.meanDelayMs).toBeGreaterThanOrEqual(40);
  });

  it('keeps the order, and chunks in flight do not wait for one another (latency, not a throttle)', async () => {
    const proxy = await start(100);
    const client = await connect(proxy.port);
    cleanup.push(() => void client.destroy());
    const parts = Array.from({ length: 10 }, (_, i) => `<${i}:${'x'.repeat(i * 100)}>`);
    const all = parts.join('');
    const got = receive(client, all.length);
    const sent = performance.now();
    for (const p of parts) {
      client.write(p);
      await wait(10);
    }
    const { text, at } = await got;
    expect(text).toBe(all);
    // The last part left ~90 ms after the first and comes back ~200 ms later; were each chunk
    // to wait out the delays of those before it, ten round trips would take 2 s.
    expect(at - sent).toBeGreaterThanOrEqual(290);
    expect(at - sent).toBeLessThan(1000);
  });

  it('passes a half close along after the data in flight', async () => {
    const proxy = await start(50);
    const client = await connect(proxy.port);
    cleanup.push(() => void client.destroy());
    const got = receive(client, 5);
    client.end('hello');
    const { text, at, ended } = await got;
    expect(text).toBe('hello');
    expect(await ended).toBeGreaterThanOrEqual(at);
  });

  it('forwards at once with no delay', async () => {
    const proxy = await start(0);
    const client = await connect(proxy.port);
    cleanup.push(() => void client.destroy());
    const got = receive(client, 3);
    const sent = performance.now();
    client.write('abc');
    const { text, at } = await got;
    expect(text).toBe('abc');
    expect(at - sent).toBeLessThan(50);
  });

  it('runs as a process of its own and reports what it forwarded', async () => {
    const echo = await echoServer();
    cleanup.push(() => new Promise<void>((r) => echo.server.close(() => r())));
    const proxy = await forkLatencyProxy({ host: '127.0.0.1', port: echo.port }, 20);
    const client = await connect(proxy.port);
    const got = receive(client, 2);
    const sent = performance.now();
    client.write('hi');
    const { at } = await got;
    expect(at - sent).toBeGreaterThanOrEqual(40);
    client.destroy();
    const stats = await proxy.stop();
    expect(stats).toMatchObject({ delayMs: 20, connections: 1, bytesUp: 2, bytesDown: 2 });
  });

  it('points a DSN at the proxy, keeping user, password, database and parameters', () => {
    expect(
      proxiedUrl('postgresql://u:secret@db.example:6543/am_bench_d_1?sslmode=disable', {
        host: '127.0.0.1',
        port: 40001,
      }),
    ).toBe('postgresql://u:secret@127.0.0.1:40001/am_bench_d_1?sslmode=disable');
    expect(targetOf('postgresql://root@127.0.0.1/postgres')).toEqual({ host: '127.0.0.1', port: 5432 });
    expect(targetOf('postgresql://root@[::1]:5433/postgres')).toEqual({ host: '::1', port: 5433 });
  });
});
