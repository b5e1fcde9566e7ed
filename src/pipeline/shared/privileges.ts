import type pg from 'pg';
import { LEDGER_SCHEMA } from '../../ledger/schema.js';
import { quoteIdent } from '../../util/quote.js';

/** The ledger's tables every run writes. */
const LEDGER_TABLES = ['runs', 'run_files', 'run_tables', 'batches'];

interface Privileges {
  readonly usage: boolean;
  readonly create: boolean;
}

/**
 * What migrate writes with, asked of the server before anything is written:
 * CREATE on the database where the ledger's schema is still to be made,
 * USAGE on it and SELECT, INSERT and UPDATE on its tables where it exists, USAGE on the target schema and CREATE where a table is still to be
 * made, SELECT and INSERT on the target tables that exist, and TEMP where
 * one does (rows merge into it through a temporary stage). PostgreSQL 15 no
 * longer lets every role create in schema public, and an application's role
 * often owns nothing: plan said GO and migrate stopped on "permission denied"
 * at its first CREATE. Each problem in words; none when all is granted. A
 * privilege this misses still stops the run with TARGET_PERMISSION_DENIED
 * (src/target/server-fault.ts), every committed batch kept.
 */
export async function missingPrivileges(
  client: pg.Client,
  schema: string,
  targets: readonly string[],
): Promise<string[]> {
  const db = (
    await client.query<{ db: string; role: string; create: boolean; temp: boolean }>(
      `SELECT current_database() AS db, current_user AS role,
              has_database_privilege(current_database(), 'CREATE') AS create,
              has_database_privilege(current_database(), 'TEMP') AS temp`,
    )
  ).rows[0];
  if (db === undefined) return [];
  const who = `role ${quoteIdent(db.role)}`;
  const problems: string[] = [];
  const ledger = await schemaPrivileges(client, LEDGER_SCHEMA);
  if (ledger === null && !db.create)
    problems.push(
      `${who} cannot create the ledger's schema ${LEDGER_SCHEMA}: it lacks CREATE on database ${quoteIdent(db.db)}`,
    );
  // CREATE on it matters only for a ledger an older version left, to bring it up to date: the run finds out then.
  if (ledger !== null && !ledger.usage) problems.push(`${who} lacks USAGE on the ledger's schema ${LEDGER_SCHEMA}`);
  if (ledger?.usage === true)
    for (const t of await tablePrivileges(client, LEDGER_SCHEMA, LEDGER_TABLES, ['SELECT', 'INSERT', 'UPDATE']))
      if (t.lacking.length > 0)
        problems.push(`${who} lacks ${t.lacking.join(', ')} on ${LEDGER_SCHEMA}.${quoteIdent(t.table)}`);
  const target = await schemaPrivileges(client, schema);
  // A schema that does not exist is schema_missing's (src/target/target-state.ts).
  if (target === null) return problems;
  if (!target.usage) return [...problems, `${who} lacks USAGE on schema ${quoteIdent(schema)}`];
  const existing = await tablePrivileges(client, schema, targets, ['SELECT', 'INSERT']);
  if (!target.create && existing.length < new Set(targets).size)
    problems.push(
      `${who} cannot create tables in schema ${quoteIdent(schema)}: it lacks CREATE on it (from PostgreSQL 15 on, no role has it on public unless granted)`,
    );
  for (const t of existing)
    if (t.lacking.length > 0)
      problems.push(`${who} lacks ${t.lacking.join(', ')} on ${quoteIdent(schema)}.${quoteIdent(t.table)}`);
  if (existing.length > 0 && !db.temp)
    problems.push(
      `${who} lacks TEMP on database ${quoteIdent(db.db)}: rows merge into existing tables through a temporary table`,
    );
  return problems;
}

async function schemaPrivileges(client: pg.Client, schema: string): Promise<Privileges | null> {
  const r = await client.query<Privileges>(
    `SELECT has_schema_privilege(oid, 'USAGE') AS usage, has_schema_privilege(oid, 'CREATE') AS create
       FROM pg_namespace WHERE nspname = $1`,
    [schema],
  );
  return r.rows[0] ?? null;
}

/** The tables of `names` that exist in `schema`, each with the privileges of `wanted` the role lacks on it. */
async function tablePrivileges(
  client: pg.Client,
  schema: string,
  names: readonly string[],
  wanted: readonly ('SELECT' | 'INSERT' | 'UPDATE')[],
): Promise<{ table: string; lacking: string[] }[]> {
  // has_table_privilege with a list is true when any one is held: each is asked alone.
  const lacking = wanted
    .map((p) => `CASE WHEN has_table_privilege(c.oid, '${p}') THEN NULL ELSE '${p}' END`)
    .join(', ');
  const r = await client.query<{ table: string; lacking: string[] }>(
    `SELECT c.relname AS table, array_remove(ARRAY[${lacking}], NULL) AS lacking
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY ($2::text[]) AND c.relkind IN ('r', 'p')`,
    [schema, [...new Set(names)]],
  );
  return r.rows;
}
