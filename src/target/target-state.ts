import type pg from 'pg';
import type { TargetType } from '../mapping/schema.js';
import { qualified, quoteIdent } from '../util/quote.js';
import { TargetError, type ErrorCode } from '../errors.js';
import { unnestRows } from './unnest-rows.js';

/** A foreign key declared on an existing target table (the application's, or one an earlier run added). */
export interface TargetForeignKey {
  readonly name: string;
  /** Columns of this table, in key order. */
  readonly columns: readonly string[];
  /** The referenced table (in the same schema, or qualified when elsewhere) and its columns. */
  readonly parent: string;
  readonly parentSchema: string;
  readonly parentColumns: readonly string[];
  /** False for a key added NOT VALID: old rows are unchecked, every new row is. */
  readonly validated: boolean;
}

/** A CHECK constraint of an existing target table: every row a run writes must pass it, one added NOT VALID too. */
export interface TargetCheck {
  readonly name: string;
  /** The expression over the table's own column names, as the server prints it (pg_get_expr). */
  readonly expression: string;
  /** The columns it reads: each one's type as the server formats it, and its collation when not its type's, quoted. */
  readonly columns: readonly { readonly name: string; readonly type: string; readonly collation: string | null }[];
}

/** A unique index of an existing target table over plain columns (no expression, no WHERE): its name and columns, in order. */
export interface TargetUnique {
  readonly name: string;
  readonly columns: readonly string[];
}

export interface TargetTableState {
  readonly exists: boolean;
  /** Column name → type as PostgreSQL formats it (`double precision`, `real`, `jsonb`, …). */
  readonly columns: ReadonlyMap<string, string>;
  /** Columns declared NOT NULL. */
  readonly notNull: ReadonlySet<string>;
  /** Columns the table fills itself when a row does not name them: a default, an identity, a generated column. */
  readonly selfFilled: ReadonlySet<string>;
  readonly foreignKeys: readonly TargetForeignKey[];
  /** Names of the table's own triggers. */
  readonly triggers: ReadonlySet<string>;
  readonly checks: readonly TargetCheck[];
  /** Its unique indexes, the primary key's and each UNIQUE constraint's included. */
  readonly uniques: readonly TargetUnique[];
  readonly rows: number;
  /** The table with its indexes and TOAST, as ALTER … TYPE would rewrite it. */
  readonly bytes: number;
}

/** The state of a table that does not exist. */
export const MISSING_TABLE: TargetTableState = {
  exists: false,
  columns: new Map(),
  notNull: new Set(),
  selfFilled: new Set(),
  foreignKeys: [],
  triggers: new Set(),
  checks: [],
  uniques: [],
  rows: 0,
  bytes: 0,
};

/** pg_class.relkind, in words, for what can hold a name a table needs. */
const RELATION_KINDS: Readonly<Record<string, string>> = {
  v: 'a view',
  m: 'a materialized view',
  S: 'a sequence',
  i: 'an index',
  I: 'a partitioned index',
  f: 'a foreign table',
  c: 'a composite type',
};

/**
 * Target table names something other than a table holds in `schema`: a view,
 * a sequence, an index, a type. CREATE TABLE IF NOT EXISTS passes over a
 * view of the name, and the load then met the view's rows as if they were
 * the table's. Each such name with what holds it.
 */
export async function takenNames(
  client: pg.Client,
  schema: string,
  tables: readonly string[],
): Promise<Map<string, string>> {
  const r = await client.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind NOT IN ('r', 'p')
     UNION ALL
     SELECT t.typname, 'type'
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1 AND t.typname = ANY($2::text[]) AND t.typrelid = 0`,
    [schema, tables],
  );
  return new Map(r.rows.map((x) => [x.name, RELATION_KINDS[x.kind] ?? 'a type'] as const));
}

/** Reads which target tables exist, their columns, keys, CHECK constraints, unique indexes, triggers and sizes. Reads only. */
export async function inspectTarget(
  client: pg.Client,
  schema: string,
  tables: readonly string[],
): Promise<Map<string, TargetTableState>> {
  const res = await client.query<{ table: string; column: string; type: string; notnull: boolean; filled: boolean }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '' AS filled
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')
      ORDER BY c.relname, a.attnum`,
    [schema, tables],
  );
  const columns = new Map<string, { types: Map<string, string>; notNull: Set<string>; selfFilled: Set<string> }>();
  for (const r of res.rows) {
    const m = columns.get(r.table) ?? {
      types: new Map<string, string>(),
      notNull: new Set<string>(),
      selfFilled: new Set<string>(),
    };
    m.types.set(r.column, r.type);
    if (r.notnull) m.notNull.add(r.column);
    if (r.filled) m.selfFilled.add(r.column);
    columns.set(r.table, m);
  }
  const out = new Map<string, TargetTableState>();
  for (const t of tables) {
    const cols = columns.get(t);
    if (cols === undefined) {
      out.set(t, MISSING_TABLE);
      continue;
    }
    const table = qualified(schema, t);
    const count = await client.query<{ n: string; bytes: string }>(
      `SELECT count(*) AS n, pg_total_relation_size($1::regclass) AS bytes FROM ${table}`,
      [table],
    );
    const fks = await client.query<{
      name: string;
      columns: string[];
      parent: string;
      parent_schema: string;
      parent_columns: string[];
      validated: boolean;
    }>(
      `SELECT k.conname AS name, k.convalidated AS validated, p.relname AS parent, pn.nspname AS parent_schema,
              ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY AS x(n, o) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n ORDER BY x.o)::text[] AS columns,
              ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY AS x(n, o) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.n ORDER BY x.o)::text[] AS parent_columns
         FROM pg_constraint k JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE k.conrelid = $1::regclass AND k.contype = 'f' ORDER BY k.conname`,
      [table],
    );
    const triggers = await client.query<{ name: string }>(
      'SELECT tgname AS name FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal',
      [table],
    );
    const checks = await client.query<TargetCheck>(
      `SELECT k.conname AS name, pg_get_expr(k.conbin, k.conrelid) AS expression,
              COALESCE((SELECT json_agg(json_build_object(
                         'name', a.attname,
                         'type', format_type(a.atttypid, a.atttypmod),
                         'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation
                                           THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END) ORDER BY x.o)
                          FROM unnest(k.conkey) WITH ORDINALITY AS x(n, o)
                          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n
                          JOIN pg_type ty ON ty.oid = a.atttypid
                          LEFT JOIN pg_collation co ON co.oid = a.attcollation
                          LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace), '[]'::json) AS columns
         FROM pg_constraint k
        WHERE k.conrelid = $1::regclass AND k.contype = 'c' ORDER BY k.conname`,
      [table],
    );
    const uniques = await client.query<TargetUnique>(
      `SELECT c.relname AS name,
              ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS x(n, o)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = x.n ORDER BY x.o)::text[] AS columns
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
        ORDER BY c.relname`,
      [table],
    );
    out.set(t, {
      exists: true,
      columns: cols.types,
      notNull: cols.notNull,
      selfFilled: cols.selfFilled,
      foreignKeys: fks.rows.map((k) => ({
        name: k.name,
        columns: k.columns,
        parent: k.parent,
        parentSchema: k.parent_schema,
        parentColumns: k.parent_columns,
        validated: k.validated,
      })),
      triggers: new Set(triggers.rows.map((x) => x.name)),
      checks: checks.rows,
      uniques: uniques.rows,
      rows: Number(count.rows[0]?.n ?? 0),
      bytes: Number(count.rows[0]?.bytes ?? 0),
    });
  }
  return out;
}

/**
 * What the target cannot take, as a blocking finding of its own: plan reports
 * it, and the command that would write refuses with the same code.
 */
export interface TargetBlock<K extends string, C extends ErrorCode> {
  readonly file: null;
  readonly table: null;
  readonly column: null;
  readonly kind: K;
  readonly action: 'block';
  readonly code: C;
  readonly count: 1;
  readonly message: string;
}

function targetBlock<K extends string, C extends ErrorCode>(kind: K, code: C, message: string): TargetBlock<K, C> {
  return { file: null, table: null, column: null, kind, action: 'block', code, count: 1, message };
}

/**
 * A target that takes no writes: a standby (a read replica, or a cluster's
 * reader endpoint), or sessions read-only by default
 * (default_transaction_read_only for the database or the role). Every write
 * would fail there; plan reports it and the commands that write refuse
 * before their first write (assertWritable).
 */
export async function targetReadOnly(
  client: pg.Client,
): Promise<TargetBlock<'target_read_only', 'TARGET_READ_ONLY'> | null> {
  const r = await client.query<{ standby: boolean; ro: string }>(
    "SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS ro",
  );
  const row = r.rows[0];
  if (row === undefined || (!row.standby && row.ro !== 'on')) return null;
  return targetBlock(
    'target_read_only',
    'TARGET_READ_ONLY',
    row.standby
      ? 'the target is a standby (a read replica or a reader endpoint): it takes no writes'
      : "the target's sessions are read-only (default_transaction_read_only is on for the database or the role)",
  );
}

/**
 * A target database whose encoding cannot hold every text SQLite can: any
 * but UTF8, and SQL_ASCII, which stores the bytes as they come. In LATIN1,
 * say, the first character outside it failed its table part way through the
 * load; Aragora's own stores expect UTF8 as well.
 */
export async function targetEncodingUnfit(
  client: pg.Client,
): Promise<TargetBlock<'target_encoding', 'TARGET_ENCODING'> | null> {
  const r = await client.query<{ e: string; db: string }>(
    "SELECT current_setting('server_encoding') AS e, current_database() AS db",
  );
  const { e, db } = r.rows[0] ?? { e: 'UTF8', db: '' };
  if (e === 'UTF8' || e === 'SQL_ASCII') return null;
  return targetBlock(
    'target_encoding',
    'TARGET_ENCODING',
    `database ${quoteIdent(db)} is encoded ${e}, which cannot hold every text SQLite holds (UTF-8)`,
  );
}

/** Refuses (TARGET_READ_ONLY) before a command's first write where the target takes none. */
export async function assertWritable(client: pg.Client): Promise<void> {
  const readOnly = await targetReadOnly(client);
  if (readOnly !== null) throw new TargetError(readOnly.code, readOnly.message);
}

/**
 * Refuses (TARGET_ENCODING) before migrate writes a row where the target
 * could not hold the text. Verify, archive and rollback write no source text
 * and go on in such a database, as they must for a run an older version
 * loaded there.
 */
export async function assertHoldsText(client: pg.Client): Promise<void> {
  const unfit = await targetEncodingUnfit(client);
  if (unfit !== null) throw new TargetError(unfit.code, unfit.message);
}

/**
 * The target schema (`--schema`) must exist: the tool creates tables, not
 * schemas. A finding for plan; migrate refuses with the same code.
 */
export async function schemaMissing(
  client: pg.Client,
  schema: string,
): Promise<TargetBlock<'schema_missing', 'TARGET_SCHEMA_MISSING'> | null> {
  const r = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if ((r.rowCount ?? 0) > 0) return null;
  return targetBlock(
    'schema_missing',
    'TARGET_SCHEMA_MISSING',
    `the target has no schema ${schema} (--schema): create it (CREATE SCHEMA ${quoteIdent(schema)}), or name one that exists`,
  );
}

/**
 * How an existing target column holds what the mapping's type produces:
 * - ok: as it is;
 * - float4: a `real` column for 8-byte floats: values are rounded to float4
 *   (each a precision_loss repair) unless --widen-columns makes it double precision;
 * - int4: an `integer` column for 64-bit integers: fine while every value fits,
 *   else refused unless --widen-columns makes it bigint;
 * - incompatible: it cannot hold them at all.
 */
export type Fit = 'ok' | 'float4' | 'int4' | 'incompatible';

export function columnFit(ours: TargetType, theirs: string): Fit {
  const t = theirs.toLowerCase();
  if (t === pgTypeName(ours) || t === 'text' || (t.startsWith('character varying') && ours === 'text')) return 'ok';
  switch (ours) {
    case 'double precision':
      if (t === 'real') return 'float4';
      return t === 'numeric' || t.startsWith('numeric(') ? 'ok' : 'incompatible';
    case 'real':
      return t === 'double precision' || t === 'numeric' ? 'ok' : 'incompatible';
    case 'bigint':
    case 'integer':
      if (t === 'integer') return 'int4';
      return t === 'bigint' || t === 'numeric' || t === 'double precision' ? 'ok' : 'incompatible';
    case 'jsonb':
      return t === 'json' ? 'ok' : 'incompatible';
    case 'timestamptz':
      return t === 'timestamp without time zone' ? 'ok' : 'incompatible';
    case 'numeric':
      return t.startsWith('numeric') ? 'ok' : 'incompatible';
    case 'boolean':
    case 'bytea':
    case 'text':
    case 'tsvector':
      return 'incompatible';
  }
}

/** Canonical PostgreSQL spelling of the mapping's types, to compare with format_type(). */
export function pgTypeName(t: TargetType): string {
  return t === 'timestamptz' ? 'timestamp with time zone' : t;
}

/**
 * Of the given keys (target text forms of the key columns, one array per row),
 * the row indexes whose key already exists in the target table.
 */
export async function existingKeys(
  client: pg.Client,
  schema: string,
  table: string,
  keyColumns: readonly { name: string; type: string }[],
  rows: readonly (readonly (string | null)[])[],
): Promise<number[]> {
  if (rows.length === 0) return [];
  const params: unknown[] = [rows.map((_, i) => i), ...keyColumns.map((_k, j) => rows.map((r) => r[j] ?? null))];
  const unnest = unnestRows(keyColumns.length, 'k');
  const on = keyColumns.map((k, j) => `t.${quoteIdent(k.name)} = u.k${j}::${k.type}`).join(' AND ');
  const res = await client.query<{ i: number }>(
    `SELECT u.i FROM ${unnest} JOIN ${qualified(schema, table)} t ON ${on}`,
    params,
  );
  return res.rows.map((r) => r.i);
}

/** Whether the table holds no row (a fresh table is loaded straight in; a filled one through a stage). */
export async function targetIsEmpty(client: pg.Client, schema: string, table: string): Promise<boolean> {
  const r = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${qualified(schema, table)}) AS any`);
  return r.rows[0]?.any !== true;
}
