/**
 * A short, secret-free excerpt of an HTTP body for a check's detail. An
 * endpoint that answers wrongly may be a debug page or a proxy's error that
 * echoes its configuration: anything shaped like a credential is masked
 * before a character of it is shown.
 */

const MAX_CHARS = 200;

/** Keys whose value is a secret, in JSON (`"api_key": "…"`) or key=value text (`password=…`). */
const SECRET_KEY = String.raw`[\w.-]*(?:token|secret|passw(?:or)?d?|pwd|api[_-]?key|private[_-]?key|authorization|credential|dsn|database_url|redis_url|cookie|session)[\w.-]*`;

const MASKS: readonly (readonly [RegExp, string])[] = [
  // userinfo of any URL: postgresql://u:pw@h, rediss://:token@h
  [/([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']*@/gi, '$1***@'],
  // "key": "value" (JSON), value up to the closing quote
  [new RegExp(String.raw`("${SECRET_KEY}"\s*:\s*)"(?:\\.|[^"\\])*"`, 'gi'), '$1"***"'],
  // key=value / key: value in text
  [new RegExp(String.raw`\b(${SECRET_KEY}\s*[=:]\s*)(?!\*\*\*)[^\s&,;"']+`, 'gi'), '$1***'],
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, '$1 ***'],
  // JWTs, and long opaque tokens (40+ characters of base64/hex) wherever they stand
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]+/g, '***'],
  [/\b[A-Za-z0-9+/_-]{40,}={0,2}/g, '***'],
];

/** Masks what looks like a secret in `text`. */
export function maskSecrets(text: string): string {
  return MASKS.reduce((s, [re, to]) => s.replace(re, to), text);
}

/**
 * The body as one line, masked, cut to 200 characters (masking first, so a
 * cut never leaves half a secret showing).
 *
 * @example
 *   bodyExcerpt('{"status":"not_ready","dsn":"postgresql://a:b@h/db"}') // '{"status":"not_ready","dsn":"***"}'
 */
export function bodyExcerpt(body: string): string {
  const line = maskSecrets(body).replace(/\s+/g, ' ').trim();
  if (line === '') return '(empty body)';
  return line.length > MAX_CHARS ? `${line.slice(0, MAX_CHARS)}…` : line;
}
