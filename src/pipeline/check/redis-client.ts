import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';
import { encodeCommand, RespParser, RespProtocolError, type RespValue } from './resp.js';

/**
 * The smallest Redis client check needs (no dependency for four commands):
 * one connection over TCP or TLS, commands sent one after another, each reply
 * read back in order, every step under a deadline. AUTH, PING, CONFIG GET and
 * INFO are plain commands here. No error text holds a password: commands are
 * never quoted, and the server's replies to AUTH do not echo it.
 */

/** What went wrong, for the checklist to say what to do about it. */
export type RedisErrorKind = 'connect' | 'tls' | 'timeout' | 'closed' | 'protocol';

export class RedisClientError extends Error {
  readonly kind: RedisErrorKind;
  constructor(kind: RedisErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisClientError';
    this.kind = kind;
  }
}

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  /** rediss://: TLS from the first byte, the certificate checked against the CAs and the host name. */
  readonly tls: boolean;
}

export interface RedisConnectOptions {
  /** Deadline for the connection (TLS handshake included) and for each command, ms. */
  readonly timeoutMs: number;
  /** A PEM CA bundle trusted besides the system's roots (a private CA, --ca-file). */
  readonly ca?: string;
  /** Check the certificate (default); false only where the app itself does not (ssl_cert_reqs=none in its URL). */
  readonly verify?: boolean;
}

/** The TLS session a rediss:// connection negotiated, for the report. */
export interface RedisTlsInfo {
  readonly protocol: string | null;
  readonly cipher: string;
}

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_|ERR_SSL|ERR_TLS|EPROTO|HOSTNAME/;

function classify(err: NodeJS.ErrnoException, tls: boolean): RedisClientError {
  const code = err.code ?? '';
  const kind: RedisErrorKind = tls && TLS_CODE.test(code) ? 'tls' : 'connect';
  return new RedisClientError(kind, `${code === '' ? '' : `${code}: `}${err.message}`, { cause: err });
}

interface Pending {
  resolve(value: RespValue): void;
  reject(err: RedisClientError): void;
}

export class RedisConnection {
  readonly #socket: Socket;
  readonly #parser = new RespParser();
  readonly #pending: Pending[] = [];
  readonly #timeoutMs: number;
  #failure: RedisClientError | null = null;
  readonly tlsInfo: RedisTlsInfo | null;

  private constructor(socket: Socket, timeoutMs: number, tlsInfo: RedisTlsInfo | null) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    this.tlsInfo = tlsInfo;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.#fail(
        // Once connected, a reset is the server hanging up (a plain client on a TLS port ends so).
        err.code === 'ECONNRESET' || err.code === 'EPIPE'
          ? new RedisClientError('closed', `the server closed the connection (${err.code})`, { cause: err })
          : classify(err, tlsInfo !== null),
      ),
    );
    socket.on('close', () =>
      this.#fail(new RedisClientError('closed', 'the server closed the connection before it answered')),
    );
  }

  /** Connects, and for rediss:// completes the TLS handshake, within the deadline. */
  static connect(endpoint: RedisEndpoint, opts: RedisConnectOptions): Promise<RedisConnection> {
    return new Promise((resolve, reject) => {
      const socket: Socket = endpoint.tls
        ? tlsConnect({
            host: endpoint.host,
            port: endpoint.port,
            // SNI takes a name, never an address.
            ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
            ...(opts.ca !== undefined ? { ca: [...rootCertificates, opts.ca] } : {}),
            rejectUnauthorized: opts.verify !== false,
          })
        : netConnect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new RedisClientError(
            'timeout',
            `no ${endpoint.tls ? 'TLS handshake' : 'connection'} within ${opts.timeoutMs} ms`,
          ),
        );
      }, opts.timeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(classify(err, endpoint.tls));
      };
      socket.once('error', onError);
      socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        const tlsInfo = endpoint.tls
          ? {
              protocol: (socket as TLSSocket).getProtocol(),
              cipher: (socket as TLSSocket).getCipher().name,
            }
          : null;
        resolve(new RedisConnection(socket, opts.timeoutMs, tlsInfo));
      });
    });
  }

  /**
   * Sends one command and waits for its reply. A server error (`-ERR …`) is
   * the RespError value it is; a broken connection, a deadline or bytes that
   * are not RESP reject with a RedisClientError and end the connection.
   */
  command(args: readonly string[]): Promise<RespValue> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(new RedisClientError('timeout', `no answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      this.#pending.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.#failure ??= new RedisClientError('closed', 'the connection was closed');
    this.#socket.destroy();
  }

  #receive(chunk: Buffer): void {
    let values: RespValue[];
    try {
      values = this.#parser.push(chunk);
    } catch (err: unknown) {
      const what = err instanceof RespProtocolError ? err.message : String(err);
      this.#fail(new RedisClientError('protocol', `the server does not answer as Redis does (${what})`));
      return;
    }
    for (const v of values) this.#pending.shift()?.resolve(v);
  }

  #fail(err: RedisClientError): void {
    this.#failure ??= err;
    for (const p of this.#pending.splice(0)) p.reject(this.#failure);
    this.#socket.destroy();
  }
}
