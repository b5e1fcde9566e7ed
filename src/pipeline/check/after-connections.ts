import type pg from 'pg';
import type { CheckItem } from '../../report/check-report.js';
import { quoteIdent } from '../../util/quote.js';

/** The item's id and title, also used when the database cannot be read (src/pipeline/check/after-switch.ts). */
export const CONNECTIONS_ITEM = {
  id: 'pg.instance-connections',
  title: 'PostgreSQL has connections to the database from every instance',
} as const;

/** One backend connected to the target's database, as pg_stat_activity shows it to this role. */
export interface ActivityRow {
  /** The client's address; null for a local (Unix socket) connection, and for a hidden one. */
  readonly addr: string | null;
  /** PostgreSQL hid the row's details from this role (another role's session, without pg_read_all_stats). */
  readonly hidden: boolean;
}

/**
 * Client backends on the current database, this session left out. For
 * another role's session a role without pg_read_all_stats sees
 * `<insufficient privilege>` as the query and null for client_addr and
 * backend_type (PostgreSQL's pg_stat_get_activity), so hidden rows are
 * counted apart rather than taken for local ones.
 */
export async function readActivity(client: pg.Client): Promise<{ rows: ActivityRow[]; role: string }> {
  const r = await client.query<{ addr: string | null; hidden: boolean }>(
    `SELECT host(client_addr) AS addr, coalesce(query = '<insufficient privilege>', false) AS hidden
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND (backend_type = 'client backend' OR query = '<insufficient privilege>')`,
  );
  const role = await client.query<{ u: string }>('SELECT current_user AS u');
  return { rows: r.rows, role: role.rows[0]?.u ?? '' };
}

export async function connectionsCheck(
  client: pg.Client,
  expectedInstances: number,
  database: string,
): Promise<CheckItem> {
  const { rows, role } = await readActivity(client);
  return judgeConnections(rows, expectedInstances, role, database);
}

/**
 * Distinct client addresses against the number of instances. Every
 * instance connects over TCP, so a Unix-socket connection (no address) is
 * someone on the database host, not an instance. Too few addresses fail,
 * unless rows hidden from this role could hold the rest: then a warning
 * with the GRANT that lets the check see them.
 */
export function judgeConnections(
  rows: readonly ActivityRow[],
  expectedInstances: number,
  role: string,
  database: string,
): CheckItem {
  const base = { ...CONNECTIONS_ITEM, phase: 'after', subject: database } as const;
  if (expectedInstances < 1)
    return {
      ...base,
      status: 'skip',
      detail: 'the number of instances is not known',
      fix: 'Pass --instances N, or --instance-url for each instance.',
    };
  const perAddr = new Map<string, number>();
  let local = 0;
  let hidden = 0;
  for (const r of rows) {
    if (r.hidden) hidden += 1;
    else if (r.addr === null) local += 1;
    else perAddr.set(r.addr, (perAddr.get(r.addr) ?? 0) + 1);
  }
  const seen = [...perAddr].sort(([a], [b]) => a.localeCompare(b));
  const listed = seen.length === 0 ? 'no client address' : seen.map(([a, n]) => `${a} (${n})`).join(', ');
  const extras = [
    local > 0 ? `${local} over a local socket (no client address, not an instance)` : '',
    hidden > 0 ? `${hidden} of other roles whose address role ${role} may not see` : '',
  ].filter((s) => s !== '');
  const detail = `connections from ${seen.length} address(es), ${expectedInstances} instance(s) expected: ${listed}${extras.length > 0 ? `; plus ${extras.join('; ')}` : ''} (this check's own connection left out)`;
  if (seen.length >= expectedInstances) return { ...base, status: 'pass', detail, fix: null };
  if (hidden > 0)
    return {
      ...base,
      status: 'warn',
      detail,
      fix: `Role ${role} cannot see other roles' client addresses: as an administrator, GRANT pg_read_all_stats TO ${quoteIdent(role)}; (or run the check with the role the instances use), then check again.`,
    };
  return {
    ...base,
    status: 'fail',
    detail,
    fix: `An instance is not connected to ${database}: check that every instance is running with DATABASE_URL (or ARAGORA_POSTGRES_DSN) pointing at this database and ARAGORA_DB_BACKEND=postgresql (its /readyz shows db_pool). Instances behind one NAT or a pooler such as PgBouncer share one address: then pass --instances with the number of addresses to expect.`,
  };
}
