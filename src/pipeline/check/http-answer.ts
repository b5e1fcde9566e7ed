import { bodyExcerpt } from './http-excerpt.js';
import type { HttpOutcome } from './http-probe.js';
import { displayUrl } from './http-url.js';

/** An endpoint's JSON, ready to be judged, or why there is none: what happened, and what to do. */
export type JsonAnswer =
  | { readonly ok: true; readonly status: number; readonly json: unknown; readonly excerpt: string }
  | { readonly ok: false; readonly detail: string; readonly fix: string };

export interface AnswerContext {
  /** The endpoint, as shown (displayUrl). */
  readonly shown: string;
  /** Whether --ca-file was given: a certificate this machine does not trust calls for it, or for another one. */
  readonly caFileGiven: boolean;
  /** Statuses whose body is judged rather than failed on: Aragora's readiness probes answer 503 with their reasons. */
  readonly judged: readonly number[];
}

/**
 * The body of a GET as JSON, or a failure naming what went wrong (no answer,
 * TLS, an unexpected status, a body that is not JSON) with its fix.
 */
export function jsonAnswer(outcome: HttpOutcome, ctx: AnswerContext): JsonAnswer {
  if (outcome.kind !== 'response') return { ok: false, ...noAnswer(outcome, ctx) };
  const excerpt = bodyExcerpt(outcome.body);
  if (!ctx.judged.includes(outcome.status)) return { ok: false, ...badStatus(outcome, excerpt, ctx) };
  if (outcome.truncated)
    return {
      ok: false,
      detail: `HTTP ${outcome.status}, but the body is longer than a probe's answer should be: ${excerpt}`,
      fix: `Check that ${ctx.shown} is Aragora's HTTP API and not another service.`,
    };
  try {
    return { ok: true, status: outcome.status, json: JSON.parse(outcome.body) as unknown, excerpt };
  } catch {
    const type = outcome.contentType === '' ? 'no content type' : outcome.contentType.split(';')[0];
    return {
      ok: false,
      detail: `HTTP ${outcome.status}, but the body is not JSON (${type}): ${excerpt}`,
      fix: `Check that ${ctx.shown} reaches Aragora's HTTP API (not a proxy's error page or the web UI): a load balancer or proxy may answer for an instance that is down.`,
    };
  }
}

function noAnswer(
  outcome: Exclude<HttpOutcome, { kind: 'response' }>,
  ctx: AnswerContext,
): { detail: string; fix: string } {
  const host = hostOf(ctx.shown);
  switch (outcome.kind) {
    case 'timeout':
      return {
        detail: `no answer within ${outcome.ms} ms`,
        fix: `Check that the instance behind ${host} is running and that its port is open from this machine; if it is only slow, raise --timeout.`,
      };
    case 'refused':
      return {
        detail: `connection refused by ${host}`,
        fix: `Nothing listens there: start the instance (systemctl start aragora), or correct the port in the URL.`,
      };
    case 'dns':
      return {
        detail: `the host name ${host} does not resolve`,
        fix: 'Correct the host name in the URL, or check DNS from this machine.',
      };
    case 'unreachable':
      return {
        detail: `${host} cannot be reached from this machine (${outcome.code})`,
        fix: 'Run the check from a machine on the instances’ network, or open the route/security group to it.',
      };
    case 'tls':
      return {
        detail: `TLS failed: ${outcome.message}${outcome.code === '' ? '' : ` (${outcome.code})`}`,
        fix: tlsFix(outcome, ctx),
      };
    case 'error':
      return {
        detail: `the request failed: ${outcome.message}${outcome.code === '' ? '' : ` (${outcome.code})`}`,
        fix: `Check that ${host} serves HTTP and is reachable from here.`,
      };
  }
}

function tlsFix(outcome: { code: string; message: string }, ctx: AnswerContext): string {
  const { code, message } = outcome;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altname|hostname/i.test(message))
    return 'The certificate is for another host name: use the name it was issued for in the URL (or reissue it with this one).';
  if (code === 'CERT_HAS_EXPIRED') return 'The endpoint’s certificate has expired: renew it.';
  if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message))
    return 'The port does not speak TLS: use http:// for it, or the port that serves HTTPS.';
  if (/SELF_SIGNED|UNABLE_TO_|CERT_/.test(code) || /certificate/i.test(message))
    return ctx.caFileGiven
      ? 'The certificate is not signed by the CA in --ca-file: pass the PEM file of the CA that did sign it.'
      : 'The certificate is signed by a CA this machine does not trust (self-signed or a private CA): pass --ca-file with that CA’s PEM file.';
  return 'Check the endpoint’s TLS setup (certificate chain, protocol versions).';
}

function badStatus(
  outcome: Extract<HttpOutcome, { kind: 'response' }>,
  excerpt: string,
  ctx: AnswerContext,
): { detail: string; fix: string } {
  const s = outcome.status;
  const detail = `HTTP ${s}: ${excerpt}`;
  if (s >= 300 && s < 400)
    return {
      detail: `HTTP ${s}, redirected to ${outcome.location === null ? '(no Location)' : displayUrl(outcome.location)}`,
      fix: 'Pass the URL the redirect points to (the probes must reach Aragora without a redirect).',
    };
  if (s === 401 || s === 403)
    return {
      detail,
      fix: 'Aragora asks for a token here: set ARAGORA_API_TOKEN in aragora-migrate’s environment (it is sent as Authorization: Bearer and never printed).',
    };
  if (s === 404)
    return {
      detail,
      fix: `No such endpoint at ${ctx.shown}: pass the root URL of Aragora’s HTTP API (not the WebSocket port, not the web UI).`,
    };
  if (s === 429) return { detail, fix: 'Aragora rate-limited the probe: run the check again in a minute.' };
  if (s === 502 || s === 503 || s === 504)
    return {
      detail,
      fix: 'The load balancer or proxy has no healthy instance to send this to: check each instance with --instance-url and their logs.',
    };
  return {
    detail,
    fix: 'The instance failed to answer: see its log (journalctl -u aragora) for the error at this time.',
  };
}

function hostOf(shown: string): string {
  try {
    return new URL(shown).host;
  } catch {
    return shown;
  }
}
