import { readFileSync } from 'node:fs';
import type { TargetDsn } from '../../config/dsn.js';
import type { CheckItem } from '../../report/check-report.js';
import { connectTarget } from '../../target/connect.js';
import { CONNECTIONS_ITEM, connectionsCheck } from './after-connections.js';
import { debatesCheck } from './after-debates.js';
import { endpointChecks } from './after-endpoints.js';
import { ledgerChecks } from './after-ledger.js';
import { LEDGER_ITEM } from './after-ledger-rules.js';
import type { AfterSwitchOptions } from './after-switch-options.js';
import type { HttpClient, HttpTarget } from './http-target.js';
import { displayUrl, urlProblem } from './http-url.js';

/**
 * Until AfterSwitchOptions carries it: Aragora's API token ($ARAGORA_API_TOKEN),
 * which `GET /api/v1/debates` needs when the instances enforce auth
 * (Aragora's aragora/server/auth_checks.py leaves that path out of
 * AUTH_EXEMPT_PATHS). Sent only as a header, never shown.
 */
export interface AfterSwitchAuth {
  readonly apiToken?: string;
}

/**
 * The checklist once the instances run on shared state (issue 16, point 2):
 * each URL's health and readiness probes, the same latest debate on every
 * instance, PostgreSQL's connections from every instance, and the ledger's
 * runs finished. The HTTP probes and the database run at the same time, so a
 * hanging endpoint costs one --timeout. Every item has phase 'after'.
 *
 * @example
 *   const items = await afterSwitchChecks({ loadBalancerUrl: 'https://aragora.example', instanceUrls: ['http://10.0.1.5:8080', 'http://10.0.1.6:8080'], target: parseDsn(dsn), expectedInstances: 2, timeoutMs: 5000, keptInstances: [] });
 */
export async function afterSwitchChecks(opts: AfterSwitchOptions & AfterSwitchAuth): Promise<CheckItem[]> {
  const [httpItems, dbItems] = await Promise.all([httpChecks(opts), databaseChecks(opts)]);
  return [...httpItems, ...dbItems];
}

async function httpChecks(opts: AfterSwitchOptions & AfterSwitchAuth): Promise<CheckItem[]> {
  const given = [
    ...(opts.loadBalancerUrl === null ? [] : [{ role: 'load balancer' as const, url: opts.loadBalancerUrl }]),
    ...opts.instanceUrls.map((url) => ({ role: 'instance' as const, url })),
  ];
  if (given.length === 0)
    return [
      item(
        'http.urls',
        'URLs to check',
        null,
        'skip',
        'no --url or --instance-url given: the HTTP endpoints were not asked',
        'Pass --url https://<load balancer> and --instance-url for each instance.',
      ),
    ];
  const bad = given.flatMap((g) => {
    const problem = urlProblem(g.url);
    return problem === null
      ? []
      : [
          item(
            'http.urls',
            'URLs to check',
            displayUrl(g.url),
            'fail',
            `the ${g.role} URL cannot be asked: ${problem}`,
            'Pass an http:// or https:// URL.',
          ),
        ];
  });
  const targets: HttpTarget[] = given
    .filter((g) => urlProblem(g.url) === null)
    .map((g) => ({ ...g, shown: displayUrl(g.url) }));
  const client = httpClient(opts);
  if (!('timeoutMs' in client)) return [...bad, client];
  const lb = targets.find((t) => t.role === 'load balancer') ?? null;
  const [endpoints, debates] = await Promise.all([
    endpointChecks(targets, client),
    debatesCheck(
      lb,
      targets.filter((t) => t.role === 'instance'),
      client,
    ),
  ]);
  return [...bad, ...endpoints, debates];
}

/** The probes' settings, or the item that says why --ca-file cannot be used. */
function httpClient(opts: AfterSwitchOptions & AfterSwitchAuth): HttpClient | CheckItem {
  const base = {
    timeoutMs: opts.timeoutMs,
    caFileGiven: opts.caFile !== undefined,
    ...(opts.apiToken !== undefined && opts.apiToken !== '' ? { bearerToken: opts.apiToken } : {}),
  };
  if (opts.caFile === undefined) return base;
  let ca: string;
  try {
    ca = readFileSync(opts.caFile, 'utf8');
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return caItem(opts.caFile, `cannot read it (${code}): the HTTPS endpoints were not asked`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----'))
    return caItem(opts.caFile, 'it holds no PEM certificate: the HTTPS endpoints were not asked');
  return { ...base, ca };
}

function caItem(path: string, detail: string): CheckItem {
  return item(
    'http.ca-file',
    'The --ca-file is a readable PEM certificate',
    path,
    'fail',
    detail,
    'Pass --ca-file with the PEM file (-----BEGIN CERTIFICATE-----) of the CA that signs the endpoints’ certificates.',
  );
}

async function databaseChecks(opts: AfterSwitchOptions): Promise<CheckItem[]> {
  const { target } = opts;
  if (target === null) return skipDatabase();
  let client;
  try {
    client = await connectTarget(target, 'aragora-migrate check');
  } catch (err: unknown) {
    return unreachable(target, err);
  }
  try {
    const connections = await connectionsCheck(client, opts.expectedInstances, target.display);
    return [connections, ...(await ledgerChecks(client, target.display, opts.keptInstances))];
  } finally {
    await client.end().catch(() => undefined);
  }
}

const CONNECTIONS = [CONNECTIONS_ITEM.id, CONNECTIONS_ITEM.title] as const;
const LEDGER = [LEDGER_ITEM.id, LEDGER_ITEM.title] as const;

function skipDatabase(): CheckItem[] {
  const fix = 'Pass --database-url with the shared PostgreSQL (the DSN the instances use).';
  return [
    item(...CONNECTIONS, null, 'skip', 'no database URL: pg_stat_activity was not read', fix),
    item(...LEDGER, null, 'skip', 'no database URL: the ledger was not read', fix),
  ];
}

function unreachable(target: TargetDsn, err: unknown): CheckItem[] {
  // connectTarget's message shows the DSN masked (src/target/connect.ts).
  const detail = err instanceof Error ? err.message : String(err);
  const fix =
    'Check --database-url (host, port, credentials, sslmode) and that this machine may connect (pg_hba.conf, security group).';
  return [
    item(...CONNECTIONS, target.display, 'fail', detail, fix),
    item(...LEDGER, target.display, 'fail', detail, fix),
  ];
}

function item(
  id: string,
  title: string,
  subject: string | null,
  status: CheckItem['status'],
  detail: string,
  fix: string | null,
): CheckItem {
  return { id, phase: 'after', title, subject, status, detail, fix };
}
