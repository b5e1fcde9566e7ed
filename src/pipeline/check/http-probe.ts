import http from 'node:http';
import https from 'node:https';
import { VERSION } from '../../version.js';

/** How check asks an HTTP endpoint. */
export interface HttpProbeOptions {
  /** The whole exchange (connect, TLS, headers, body) must finish within this, or the probe gives up. */
  readonly timeoutMs: number;
  /** PEM text of the CA that signs the endpoints' certificates (--ca-file); absent: the system's roots. */
  readonly ca?: string;
  /** Sent as `Authorization: Bearer …` when present. */
  readonly bearerToken?: string;
  /** Body bytes kept; the rest is not read. Default 64 KiB: Aragora's probes answer in well under 1 KiB. */
  readonly maxBytes?: number;
}

/** What one GET came to: an answer (any status), or the reason there was none. */
export type HttpOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly contentType: string;
      readonly body: string;
      /** The body was longer than maxBytes and was cut there. */
      readonly truncated: boolean;
      /** Where a redirect points (already shown without credentials by the caller). */
      readonly location: string | null;
    }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'tls'; readonly code: string; readonly message: string }
  | { readonly kind: 'refused' }
  | { readonly kind: 'dns' }
  | { readonly kind: 'unreachable'; readonly code: string }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

const DEFAULT_MAX_BYTES = 64 * 1024;

/** Error codes Node's TLS layer and OpenSSL give a handshake or certificate failure. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|EPROTO$|HOSTNAME_MISMATCH)/;

/**
 * One GET, never longer than `timeoutMs` and never more than `maxBytes` read.
 * Redirects are not followed: a load balancer that redirects its probes is
 * worth seeing. `agent: false` gives each probe its own connection, closed
 * after it: Node 20's global agent keeps sockets alive, which would hold a
 * short-lived CLI open.
 */
export function httpGet(url: URL, opts: HttpProbeOptions): Promise<HttpOutcome> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': `aragora-migrate/${VERSION} check`,
  };
  if (opts.bearerToken !== undefined) headers.authorization = `Bearer ${opts.bearerToken}`;
  const requestOptions: https.RequestOptions = {
    method: 'GET',
    headers,
    agent: false,
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
  };
  return new Promise<HttpOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const req = (url.protocol === 'https:' ? https : http).request(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (truncated: boolean): void =>
        finish({
          kind: 'response',
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'),
          truncated,
          location: res.headers.location ?? null,
        });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size > maxBytes) done(true);
      });
      res.on('end', () => done(false));
      // A body cut off mid-way (the server died) still says what it had: the status is the news.
      res.on('error', () => done(false));
      res.on('close', () => done(false));
    });
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: opts.timeoutMs }), opts.timeoutMs);
    req.on('error', (err: unknown) => finish(classify(err)));
    req.end();
  });
}

function classify(err: unknown): HttpOutcome {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ECONNREFUSED') return { kind: 'refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns' };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') return { kind: 'unreachable', code };
  if (TLS_CODE.test(code) || /certificate|ssl|tls/i.test(message)) return { kind: 'tls', code, message };
  return { kind: 'error', code, message };
}
