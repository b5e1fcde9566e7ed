import type pg from 'pg';
import { loadBuiltinMappingSet, type MappingSet } from '../../mapping/load.js';
import type { CheckItem } from '../../report/check-report.js';
import { quoteIdent } from '../../util/quote.js';
import { before } from './items.js';

export const OWNER_TITLE = "The role owns the app's tables";

/**
 * The tables (and trigger functions) the application's PostgreSQL stores set
 * up at every start: those of the mapped stores that have an `appModule`.
 * Their schema setup runs `CREATE INDEX IF NOT EXISTS` on each table, and
 * the insight store `CREATE OR REPLACE FUNCTION` and `DROP TRIGGER IF
 * EXISTS`; PostgreSQL lets only the owner (or a member of the owning role) do
 * any of them, even when the index already exists. Tables migrate created as
 * another role (an administrator's DSN, say) stop the app at its start with
 * "must be owner of table", and for the insight store the app falls back to
 * SQLite.
 */
export function appObjects(set: MappingSet = loadBuiltinMappingSet()): { tables: string[]; functions: string[] } {
  const stores = set.stores.filter((s) => s.appModule !== undefined);
  const tables = stores.flatMap((s) => s.tables);
  return {
    tables: [...new Set(tables.map((t) => t.target))],
    functions: [...new Set(tables.flatMap((t) => t.triggers.map((g) => g.function.name)))],
  };
}

/**
 * Which of the app's tables and functions in the role's schema the role
 * connected cannot act as owner of, with the statements that hand them over.
 */
export async function ownerItem(client: pg.Client, subject: string): Promise<CheckItem> {
  const { tables, functions } = appObjects();
  const r = await client.query<{ kind: 'table' | 'function'; name: string; owner: string; ok: boolean }>(
    `SELECT 'table' AS kind, c.relname AS name, pg_get_userbyid(c.relowner) AS owner,
            pg_has_role(current_user, c.relowner, 'USAGE') AS ok
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])
     UNION ALL
     SELECT 'function', p.proname, pg_get_userbyid(p.proowner), pg_has_role(current_user, p.proowner, 'USAGE')
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = current_schema() AND p.proname = ANY($2::text[]) AND p.pronargs = 0
      ORDER BY 1 DESC, 2`,
    [tables, functions],
  );
  const who = (
    await client.query<{ role: string; schema: string }>('SELECT current_user AS role, current_schema() AS schema')
  ).rows[0];
  const role = who?.role ?? '?';
  const schema = who?.schema ?? '?';
  const present = r.rows.filter((o) => o.kind === 'table').length;
  const foreign = r.rows.filter((o) => !o.ok);
  if (foreign.length === 0)
    return before(
      'pg.owner',
      OWNER_TITLE,
      'pass',
      present === 0
        ? `none of the app's ${tables.length} tables is in schema ${schema} yet: the app creates them, as role ${role}`
        : `role ${role} owns the ${present} of the app's tables in schema ${schema} (the rest the app creates)`,
      null,
      subject,
    );
  const names = foreign.map((o) => `${o.kind === 'function' ? `${o.name}()` : o.name} (owner ${o.owner})`);
  const fix = foreign.map((o) =>
    o.kind === 'table'
      ? `ALTER TABLE ${quoteIdent(schema)}.${quoteIdent(o.name)} OWNER TO ${quoteIdent(role)};`
      : `ALTER FUNCTION ${quoteIdent(schema)}.${quoteIdent(o.name)}() OWNER TO ${quoteIdent(role)};`,
  );
  return before(
    'pg.owner',
    OWNER_TITLE,
    'fail',
    `role ${role} does not own ${names.join(', ')}: the app's stores run CREATE INDEX IF NOT EXISTS on their tables at every start (the insight store also replaces its trigger and function), which PostgreSQL allows only their owner, so the app would not start on them`,
    `as their owner or a superuser (the role that ran migrate), hand them to the app's role: ${fix.join(' ')}`,
    subject,
  );
}
