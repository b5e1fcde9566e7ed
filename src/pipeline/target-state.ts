import type pg from 'pg';
import type { TargetType } from '../mapping/schema.js';
import { qualified, quoteIdent } from '../util/quote.js';

export interface TargetTableState {
  readonly exists: boolean;
  /** Column name → type as PostgreSQL formats it (`double precision`, `real`, `jsonb`, …). */
  readonly columns: ReadonlyMap<string, string>;
  readonly rows: number;
}

/** Reads which target tables exist, their column types and row counts. Reads only. */
export async function inspectTarget(client: pg.Client, schema: string, tables: readonly string[]): Promise<Map<string, TargetTableState>> {
  const res = await client.query<{ table: string; column: string; type: string }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')
      ORDER BY c.relname, a.attnum`,
    [schema, tables],
  );
  const columns = new Map<string, Map<string, string>>();
  for (const r of res.rows) {
    const m = columns.get(r.table) ?? new Map<string, string>();
    m.set(r.column, r.type);
    columns.set(r.table, m);
  }
  const out = new Map<string, TargetTableState>();
  for (const t of tables) {
    const cols = columns.get(t);
    if (cols === undefined) {
      out.set(t, { exists: false, columns: new Map(), rows: 0 });
      continue;
    }
    const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(schema, t)}`);
    out.set(t, { exists: true, columns: cols, rows: Number(count.rows[0]?.n ?? 0) });
  }
  return out;
}

export type Fit = 'ok' | 'float4' | 'int4' | 'incompatible';

/**
 * Whether an existing target column can hold what the mapping's type produces.
 * `float4` and `int4` fit only if no source value is out of their reach, which
 * the profile counts.
 */
export function columnFit(ours: TargetType, theirs: string): Fit {
  const t = theirs.toLowerCase();
  if (t === ours || t === 'text' || t.startsWith('character varying') && ours === 'text') return 'ok';
  switch (ours) {
    case 'double precision':
      if (t === 'real') return 'float4';
      return t === 'numeric' || t.startsWith('numeric(') ? 'ok' : 'incompatible';
    case 'bigint':
    case 'integer':
      if (t === 'integer') return ours === 'integer' ? 'ok' : 'int4';
      return t === 'bigint' || t === 'numeric' || t === 'double precision' ? 'ok' : 'incompatible';
    case 'jsonb':
      return t === 'json' ? 'ok' : 'incompatible';
    case 'timestamptz':
      return t === 'timestamp with time zone' || t === 'timestamp without time zone' ? 'ok' : 'incompatible';
    case 'boolean':
      return 'incompatible';
    case 'numeric':
      return t.startsWith('numeric') ? 'ok' : 'incompatible';
    case 'bytea':
    case 'text':
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
  const params: unknown[] = [rows.map((_, i) => i)];
  const cols = ['i'];
  const types = ['int[]'];
  keyColumns.forEach((_k, j) => {
    params.push(rows.map((r) => r[j] ?? null));
    cols.push(`k${j}`);
    types.push('text[]');
  });
  const unnest = `unnest(${types.map((t, i) => `$${i + 1}::${t}`).join(', ')}) AS u(${cols.join(', ')})`;
  const on = keyColumns.map((k, j) => `t.${quoteIdent(k.name)} = u.k${j}::${k.type}`).join(' AND ');
  const res = await client.query<{ i: number }>(`SELECT u.i FROM ${unnest} JOIN ${qualified(schema, table)} t ON ${on}`, params);
  return res.rows.map((r) => r.i);
}
