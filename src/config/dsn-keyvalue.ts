import { ConfigError } from '../errors.js';

/**
 * libpq's other DSN form, `host=db.example.com port=5432 dbname=app user=aragora
 * password=secret sslmode=require` (what psql, asyncpg and Aragora's own
 * ARAGORA_POSTGRES_DSN accept). node-postgres reads only URLs (its
 * pg-connection-string treats this form as a relative URL), so it is parsed
 * here as libpq's conninfo_parse does and turned into the equivalent URL;
 * src/config/dsn.ts then treats it as any URL, sslmode included.
 * No error quotes the string: the password is in it.
 */

/** libpq's keywords (PostgreSQL 17's list); any other is refused, as libpq refuses it. */
const KEYWORDS = new Set([
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'password',
  'passfile',
  'require_auth',
  'channel_binding',
  'connect_timeout',
  'client_encoding',
  'options',
  'application_name',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'sslmode',
  'sslnegotiation',
  'sslcompression',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslcertmode',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'target_session_attrs',
  'load_balance_hosts',
]);

/** libpq reads a string as a URL only when it starts with a scheme; anything else with an `=` is key=value. */
export function isKeyValueDsn(dsn: string): boolean {
  const s = dsn.trim();
  return !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && s.includes('=');
}

function invalid(message: string): ConfigError {
  return new ConfigError('CONFIG_DSN_INVALID', `the key=value connection string ${message}`, {
    hint: "Write keyword=value pairs separated by blanks (host=db.example.com port=5432 dbname=app user=aragora password=secret sslmode=require); quote a value with blanks in single quotes, with \\' and \\\\ inside.",
  });
}

/** The nearest known keyword within two edits, to name a typo without echoing the string. */
function nearest(word: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of KEYWORDS) {
    const d = editDistance(word, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(
        Math.min(
          (prev[j] as number) + 1,
          (row[j - 1] as number) + 1,
          (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
        ),
      );
    prev = row;
  }
  return prev[b.length] as number;
}

/**
 * libpq's conninfo_parse: blanks separate settings, blanks around `=` are
 * allowed, a value is a run of non-blanks or a single-quoted string, and a
 * backslash takes the next character literally in both. A later setting of
 * the same keyword wins.
 */
export function parseKeyValueDsn(dsn: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const blank = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
  let i = 0;
  let n = 0;
  for (;;) {
    while (blank(dsn[i])) i++;
    if (i >= dsn.length) return out;
    n++;
    let keyword = '';
    while (i < dsn.length && dsn[i] !== '=' && !blank(dsn[i])) keyword += dsn[i++];
    while (blank(dsn[i])) i++;
    if (dsn[i] !== '=')
      throw invalid(`has no "=" after setting ${n} (a value with blanks must be quoted: password='a b')`);
    i++;
    while (blank(dsn[i])) i++;
    let value = '';
    if (dsn[i] === "'") {
      i++;
      for (;;) {
        const c = dsn[i++];
        if (c === undefined) throw invalid(`has an unterminated quoted value in setting ${n}`);
        if (c === "'") break;
        if (c === '\\' && i < dsn.length) value += dsn[i++];
        else value += c;
      }
    } else {
      while (i < dsn.length && !blank(dsn[i])) {
        const c = dsn[i++] as string;
        if (c === '\\' && i < dsn.length) value += dsn[i++];
        else value += c;
      }
    }
    if (!KEYWORDS.has(keyword)) {
      const guess = nearest(keyword);
      throw invalid(`has an unknown keyword in setting ${n}${guess !== undefined ? ` (did you mean ${guess}?)` : ''}`);
    }
    out.delete(keyword);
    out.set(keyword, value);
  }
}

function quote(value: string): string {
  return value !== '' && !/[\s'\\]/.test(value) ? value : `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** The settings as key=value text again, for display: the password (and a client key's sslpassword) as `***`. */
export function renderKeyValueDsn(settings: ReadonlyMap<string, string>): string {
  return [...settings].map(([k, v]) => `${k}=${k === 'password' || k === 'sslpassword' ? '***' : quote(v)}`).join(' ');
}

/**
 * The same settings as a postgresql:// URL node-postgres reads alike: host
 * and port in the authority (so messages can say where), user, password and
 * every other keyword as query parameters (pg-connection-string prefers those,
 * and form encoding survives any character), the database as the path. A host
 * that is not a plain name or address (a socket folder) goes in the query too.
 * Without host, hostaddr stands in for it: node-postgres has no hostaddr.
 */
export function keyValueToUrl(settings: ReadonlyMap<string, string>): string {
  const host = settings.get('host') ?? settings.get('hostaddr') ?? '';
  const port = settings.get('port');
  if (port !== undefined && port !== '' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
    throw invalid('has a port that is not a number from 1 to 65535');
  const dbname = settings.get('dbname') ?? '';
  // pg-connection-string decodes the path with decodeURI, which leaves these encoded: the database would be misnamed.
  if (/[/?#]/.test(dbname)) throw invalid('names a database with / ? or #, which node-postgres cannot connect to');
  const query = new URLSearchParams();
  let authority = '';
  if (/^[A-Za-z0-9._-]+$/.test(host)) authority = host;
  else if (/^[0-9A-Fa-f:.]+$/.test(host) && host.includes(':')) authority = `[${host}]`;
  else if (host !== '') query.set('host', host);
  if (port !== undefined && port !== '') {
    if (authority !== '') authority += `:${port}`;
    else query.set('port', port);
  }
  for (const [k, v] of settings) {
    if (k === 'host' || k === 'hostaddr' || k === 'port' || k === 'dbname') continue;
    query.set(k, v);
  }
  const search = query.toString();
  return `postgresql://${authority}/${encodeURI(dbname)}${search === '' ? '' : `?${search}`}`;
}
