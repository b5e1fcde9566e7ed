/**
 * The latency proxy (bench/latency-proxy.ts) as a process of its own, started
 * by bench/run.ts with `fork`: its delays then do not depend on the runner's
 * event loop, which blocks while it polls /proc for the loader's memory.
 *
 * Protocol over the IPC channel: it sends `{ port, host }` once listening;
 * on `'stop'` it sends its stats and exits.
 */
import { startLatencyProxy } from './latency-proxy.js';

const [targetHost = '127.0.0.1', targetPort = '5432', delayMs = '0'] = process.argv.slice(2);

const proxy = await startLatencyProxy({ targetHost, targetPort: Number(targetPort), delayMs: Number(delayMs) });
process.send?.({ host: proxy.host, port: proxy.port });
process.on('message', (msg) => {
  if (msg !== 'stop') return;
  const stats = proxy.stats();
  void proxy.close().then(() => process.send?.({ stats }, () => process.exit(0)));
});
// The runner is gone (crashed, interrupted): do not outlive it.
process.on('disconnect', () => process.exit(0));
