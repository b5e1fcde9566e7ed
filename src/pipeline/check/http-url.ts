/**
 * The URLs check asks, and how they are shown. An operator may put basic-auth
 * credentials in a load balancer's URL, or a signed token in its query string;
 * neither may reach a report, so every URL shown goes through `displayUrl`.
 */

/** Query parameter names whose value is taken for a secret (`-` and `_` ignored); masking one too many costs nothing. */
const SECRET_PARAM = /token|secret|passw|pwd|key|sig|auth|credential|session|jwt/i;

/**
 * The URL without its user info, with secret-looking query values masked
 * (`?token=***`), and without a fragment. A string that is no URL is shown as
 * `<not a URL>` rather than echoed, since it may be a mistyped secret.
 *
 * @example
 *   displayUrl('https://ops:pw@lb.example/?access_token=abc&limit=1') // 'https://lb.example/?access_token=***&limit=1'
 */
export function displayUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<not a URL>';
  }
  u.username = '';
  u.password = '';
  u.hash = '';
  for (const key of [...new Set(u.searchParams.keys())]) {
    if (SECRET_PARAM.test(key.replace(/[-_]/g, ''))) u.searchParams.set(key, '***');
  }
  // URLSearchParams encodes `*`; the mask reads better as typed.
  return u.toString().replaceAll('%2A%2A%2A', '***');
}

/**
 * `path` (with its own query) under `base`, keeping the base's path prefix
 * (an instance served under `/aragora/`), user info and query parameters
 * (a load balancer may need them on every request).
 *
 * @example
 *   endpointUrl('https://lb.example/aragora', '/api/v1/debates?limit=1') // https://lb.example/aragora/api/v1/debates?limit=1
 */
export function endpointUrl(base: string, path: string): URL {
  const u = new URL(base);
  const [pathname = '', query] = path.split('?', 2);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${pathname}`;
  u.hash = '';
  if (query !== undefined) for (const [k, v] of new URLSearchParams(query)) u.searchParams.set(k, v);
  return u;
}

/** Why a --url or --instance-url cannot be asked, or null when it can. */
export function urlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'it is not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `it starts with ${u.protocol}// (use https:// or http://)`;
  return null;
}
