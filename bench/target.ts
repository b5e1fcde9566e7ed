/**
 * The PostgreSQL side of the benchmark: the two benchmarked tables, their
 * typed target DDL (read from the shipped mapping JSON, so the baselines load
 * into the same column types the tool creates), and database housekeeping.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import pg from 'pg';

interface MappingColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable?: boolean;
  readonly default?: string;
  readonly targetOnly?: boolean;
}
interface MappingTable {
  readonly source: string;
  readonly target: string;
  readonly key: readonly string[];
  readonly primaryKey?: readonly string[];
  readonly unique?: readonly (readonly string[])[];
  readonly indexes?: readonly { readonly name: string; readonly columns: readonly string[] }[];
  readonly surrogateKey?: string;
  readonly columns: readonly MappingColumn[];
}

export interface BenchTable {
  readonly file: 'continuum_memory.db' | 'agent_elo.db';
  readonly source: string;
  readonly target: string;
  /** Columns present in both the SQLite source and the target, in mapping order. */
  readonly columns: readonly string[];
  /** Target type per column, from the mapping. */
  readonly types: Readonly<Record<string, string>>;
  /** The natural key (a surrogate id may be re-assigned by the tool, so rows are matched on this). */
  readonly key: string;
  readonly surrogate?: string;
  readonly ddl: string;
  readonly indexDdl: readonly string[];
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

function loadMappingTable(mapping: string, source: string): MappingTable {
  const url = new URL(`../mappings/aragora/${mapping}.json`, import.meta.url);
  const doc = JSON.parse(readFileSync(url, 'utf8')) as { tables: MappingTable[] };
  const table = doc.tables.find((t) => t.source === source);
  if (!table) throw new Error(`mapping ${mapping}.json has no table with source ${source}`);
  return table;
}

/**
 * CREATE TABLE as the mapping describes it: column types, NOT NULL, defaults,
 * primary key (primaryKey, else key) and unique constraints. Secondary indexes
 * are separate (indexDdl) so they can be built after the load, as any bulk
 * loader would, or not at all. No foreign keys: the tool does not enforce
 * what SQLite never enforced.
 */
function createTableSql(t: MappingTable, targetName: string): string {
  const lines = t.columns.map((c) => {
    let line = `  ${quoteIdent(c.name)} ${c.type}`;
    if (c.nullable === false) line += ' NOT NULL';
    if (c.default !== undefined) line += ` DEFAULT ${c.default}`;
    return line;
  });
  const pk = t.primaryKey ?? t.key;
  lines.push(`  PRIMARY KEY (${pk.map(quoteIdent).join(', ')})`);
  for (const u of t.unique ?? []) lines.push(`  UNIQUE (${u.map(quoteIdent).join(', ')})`);
  return `CREATE TABLE ${quoteIdent(targetName)} (\n${lines.join(',\n')}\n)`;
}

function benchTable(file: BenchTable['file'], mapping: string, source: string): BenchTable {
  const t = loadMappingTable(mapping, source);
  const columns = t.columns.filter((c) => c.targetOnly !== true);
  if (t.key.length !== 1 || t.key[0] === undefined)
    throw new Error(`${source}: the benchmark expects a one-column key`);
  return {
    file,
    source,
    target: t.target,
    columns: columns.map((c) => c.name),
    types: Object.fromEntries(columns.map((c) => [c.name, c.type])),
    key: t.key[0],
    ...(t.surrogateKey === undefined ? {} : { surrogate: t.surrogateKey }),
    ddl: createTableSql(t, t.target),
    indexDdl: (t.indexes ?? []).map(
      (ix) => `CREATE INDEX ${quoteIdent(ix.name)} ON ${quoteIdent(t.target)} (${ix.columns.join(', ')})`,
    ),
  };
}

/** The two tables the benchmark moves; everything else in the files is small or empty. */
export function benchTables(): readonly BenchTable[] {
  return [
    benchTable('continuum_memory.db', 'continuum', 'continuum_memory'),
    benchTable('agent_elo.db', 'elo', 'matches'),
  ];
}

export const DEFAULT_DATABASE_URL = 'postgresql://127.0.0.1:5432/postgres';

/**
 * The URL with its user made explicit (PGUSER, else the OS user, as libpq
 * does): pgloader and node-postgres do not fall back the way psql does, and
 * $USER is often unset in containers.
 */
export function withUser(base: string): string {
  const url = new URL(base);
  if (url.username === '') url.username = encodeURIComponent(process.env.PGUSER ?? userInfo().username);
  return url.toString();
}

/** The same server URL pointing at another database. */
export function databaseUrl(base: string, database: string): string {
  const url = new URL(withUser(base));
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withUser(url) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database per approach, so no approach inherits another's pages, stats or WAL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  return databaseUrl(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  // FORCE (PG 13+) ends a connection a crashed loader may have left behind.
  await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

export async function createTargetTables(url: string, tables: readonly BenchTable[]): Promise<void> {
  await withClient(url, async (c) => {
    for (const t of tables) await c.query(t.ddl);
  });
}

export async function createIndexes(url: string, tables: readonly BenchTable[]): Promise<void> {
  await withClient(url, async (c) => {
    for (const t of tables) for (const sql of t.indexDdl) await c.query(sql);
  });
}

export interface TargetState {
  /** Row count per target table; null when the table does not exist. */
  readonly counts: Record<string, number | null>;
  /** Number of indexes (constraints included) per target table. */
  readonly indexes: Record<string, number | null>;
  readonly bytes: number;
}

export async function inspectTarget(url: string, tables: readonly string[]): Promise<TargetState> {
  return withClient(url, async (c) => {
    const counts: Record<string, number | null> = {};
    const indexes: Record<string, number | null> = {};
    for (const t of tables) {
      const exists = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1`,
        [t],
      );
      const reg = await c.query<{ r: string | null }>(`SELECT to_regclass($1) AS r`, [`public.${quoteIdent(t)}`]);
      if (reg.rows[0]?.r == null) {
        counts[t] = null;
        indexes[t] = null;
        continue;
      }
      const n = await c.query<{ n: string }>(`SELECT count(*) AS n FROM public.${quoteIdent(t)}`);
      counts[t] = Number(n.rows[0]?.n ?? 0);
      indexes[t] = Number(exists.rows[0]?.n ?? 0);
    }
    const size = await c.query<{ b: string }>(`SELECT pg_database_size(current_database()) AS b`);
    return { counts, indexes, bytes: Number(size.rows[0]?.b ?? 0) };
  });
}

export async function serverVersion(url: string): Promise<string> {
  return withClient(url, async (c) => (await c.query<{ v: string }>('SHOW server_version')).rows[0]?.v ?? 'unknown');
}
