/**
 * A TCP delay line for `--latency`: every chunk read from one side is written
 * to the other `delayMs` after it arrived, in arrival order, in both
 * directions. A round trip through it therefore costs 2 × delayMs more, while
 * throughput is untouched: chunks do not wait for one another's delays (data
 * arriving at t leaves at t + delayMs whatever else is in flight), so this is
 * latency, not a bandwidth throttle. That is what a server one network hop
 * away looks like to a loader that overlaps its batches with round trips.
 *
 * It forwards bytes without looking at them, so TLS, PostgreSQL's startup and
 * COPY pass through unchanged. bench/run.ts runs it in a process of its own
 * (bench/latency-proxy-main.ts): the runner's /proc polling blocks its event
 * loop for milliseconds at a time, which would jitter the delays.
 */
import { fork } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LatencyProxyOptions {
  /** Where the real server listens. */
  readonly targetHost: string;
  readonly targetPort: number;
  /** One-way delay added to every chunk, in each direction. 0 forwards at once. */
  readonly delayMs: number;
  /** Where the proxy listens; port 0 (the default) takes a free port. */
  readonly listenHost?: string;
  readonly listenPort?: number;
}

/** What the proxy saw, to show the delays it applied were the ones asked for. */
export interface LatencyProxyStats {
  readonly delayMs: number;
  readonly connections: number;
  /** Chunks and bytes forwarded client → server and server → client. */
  readonly chunksUp: number;
  readonly bytesUp: number;
  readonly chunksDown: number;
  readonly bytesDown: number;
  /** Time from a chunk's arrival to its write, over all chunks (ms). Timers add up to ~1 ms. */
  readonly meanDelayMs: number;
  readonly maxDelayMs: number;
}

export interface LatencyProxy {
  readonly host: string;
  readonly port: number;
  stats(): LatencyProxyStats;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

interface Counters {
  chunks: number;
  bytes: number;
}

interface DelayTotals {
  sum: number;
  max: number;
  n: number;
}

/**
 * One direction of a connection: chunks queue in arrival order with their due
 * time, and a single timer, armed for the head of the queue, writes every
 * chunk that is due. Due times only grow (arrival + a constant), so the queue
 * is also in due order and no chunk ever waits for another's delay.
 */
function delayLine(from: Socket, to: Socket, delayMs: number, counters: Counters, delays: DelayTotals): void {
  const queue: { due: number; arrived: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;

  const write = (chunk: Buffer, arrived: number): void => {
    if (to.destroyed) return;
    const waited = performance.now() - arrived;
    delays.sum += waited;
    delays.n++;
    if (waited > delays.max) delays.max = waited;
    counters.chunks++;
    counters.bytes += chunk.length;
    // Backpressure: a destination that cannot keep up stops the source (TCP then slows the
    // sender), so memory holds at most what arrives in one delay, not the whole stream.
    if (!to.write(chunk) && !from.isPaused()) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  };

  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.due ?? Infinity) <= now) {
      const head = queue.shift()!;
      write(head.chunk, head.arrived);
    }
    if (queue.length > 0) arm();
    else if (ended) to.end();
  };

  const arm = (): void => {
    if (timer !== undefined || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, (queue[0]?.due ?? 0) - performance.now()));
  };

  from.on('data', (chunk: Buffer) => {
    const arrived = performance.now();
    if (delayMs <= 0 && queue.length === 0) return write(chunk, arrived);
    queue.push({ due: arrived + delayMs, arrived, chunk });
    arm();
  });
  // A half close travels the line like data: the far side sees it after the last chunk.
  from.on('end', () => {
    ended = true;
    if (queue.length === 0) to.end();
  });
  // Nothing more can be delivered once the destination is gone: drop what is still in flight, as a network would.
  to.on('close', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    queue.length = 0;
  });
}

export function startLatencyProxy(opts: LatencyProxyOptions): Promise<LatencyProxy> {
  const up: Counters = { chunks: 0, bytes: 0 };
  const down: Counters = { chunks: 0, bytes: 0 };
  const delays: DelayTotals = { sum: 0, max: 0, n: 0 };
  const sockets = new Set<Socket>();
  let connections = 0;

  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };

  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    connections++;
    track(client);
    const upstream = createConnection({
      host: opts.targetHost,
      port: opts.targetPort,
      allowHalfOpen: true,
      noDelay: true,
    });
    track(upstream);
    // Either side failing ends the pair: the loader sees a broken connection, as it would without the proxy.
    const fail = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    client.on('close', (hadError) => hadError && upstream.destroy());
    upstream.on('close', (hadError) => hadError && client.destroy());
    delayLine(client, upstream, opts.delayMs, up, delays);
    delayLine(upstream, client, opts.delayMs, down, delays);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenPort ?? 0, opts.listenHost ?? '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('proxy has no TCP address'));
      resolve({
        host: address.address,
        port: address.port,
        stats: () => ({
          delayMs: opts.delayMs,
          connections,
          chunksUp: up.chunks,
          bytesUp: up.bytes,
          chunksDown: down.chunks,
          bytesDown: down.bytes,
          meanDelayMs: delays.n === 0 ? 0 : delays.sum / delays.n,
          maxDelayMs: delays.max,
        }),
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** The same DSN pointing at the proxy: database, user, password and parameters are kept. */
export function proxiedUrl(dbUrl: string, proxy: { host: string; port: number }): string {
  const url = new URL(dbUrl);
  url.hostname = proxy.host;
  url.port = String(proxy.port);
  return url.toString();
}

/** The host and port a DSN connects to (PostgreSQL's default port when none is given). */
export function targetOf(dbUrl: string): { host: string; port: number } {
  const url = new URL(dbUrl);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: url.port ? Number(url.port) : 5432 };
}

export interface ForkedLatencyProxy {
  readonly host: string;
  readonly port: number;
  /** Ends the proxy process and returns what it saw. */
  stop(): Promise<LatencyProxyStats>;
}

/**
 * The proxy in a child process (bench/latency-proxy-main.ts, run through
 * tsx's loader like the runner itself), so its timers are not held up by the
 * runner's synchronous /proc polling. It is a child of the runner, not of the
 * measured command, so its memory is not in the loader's peak RSS.
 */
export function forkLatencyProxy(target: { host: string; port: number }, delayMs: number): Promise<ForkedLatencyProxy> {
  const main = new URL('./latency-proxy-main.ts', import.meta.url).pathname;
  const root = new URL('..', import.meta.url).pathname;
  const child = fork(main, [target.host, String(target.port), String(delayMs)], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const early = (code: number | null): void => reject(new Error(`latency proxy exited (${code}) before listening`));
    child.once('error', reject);
    child.once('exit', early);
    child.once('message', (msg: { host: string; port: number }) => {
      child.off('exit', early);
      resolve({
        host: msg.host,
        port: msg.port,
        stop: () =>
          new Promise<LatencyProxyStats>((done, fail) => {
            child.once('message', (m: { stats: LatencyProxyStats }) => done(m.stats));
            child.once('exit', (code) => fail(new Error(`latency proxy exited (${code}) without its stats`)));
            child.send('stop');
          }),
      });
    });
  });
}
