/**
 * A spot check that a fast load is also a faithful one: a sample of source
 * rows, spread over the whole table, is compared value by value with the
 * target rows of the same key. Counts alone would not notice, for example,
 * REALs rounded to 15 significant digits on the way through a CSV file.
 *
 * Values are compared in a canonical form on both sides: timestamps as UTC
 * `YYYY-MM-DD HH:MM:SS.ffffff` (naive source values read as UTC, the tool's
 * default), JSON parsed and re-serialised with sorted keys, doubles as JS
 * numbers (exact), bigints as decimal strings, booleans from 0/1.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { BenchTable } from './target.js';
import { withClient } from './target.js';

export interface FidelityResult {
  readonly table: string;
  readonly sampled: number;
  /** Sampled keys with no target row. */
  readonly missing: number;
  /** Mismatching rows per column, plus one example. */
  readonly mismatches: Readonly<Record<string, { count: number; example: { source: unknown; target: unknown } }>>;
}

const SAMPLE = 500;
const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function sourceValue(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'timestamptz': {
      const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/.exec(String(v));
      return m ? `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}` : `unparsed:${String(v)}`;
    }
    case 'jsonb':
      return canonicalJson(JSON.parse(String(v)));
    case 'boolean':
      return Number(v) !== 0;
    case 'bigint':
      return String(v);
    case 'bytea':
      return v instanceof Buffer ? v.toString('hex') : String(v);
    default:
      return v;
  }
}

function targetExpr(type: string, col: string): string {
  const c = quoteIdent(col);
  if (type === 'timestamptz') return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
  if (type === 'jsonb') return `${c}::text`;
  if (type === 'bigint') return `${c}::text`;
  if (type === 'bytea') return `encode(${c}, 'hex')`;
  return c;
}

function targetValue(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  return type === 'jsonb' ? canonicalJson(JSON.parse(String(v))) : v;
}

export async function checkFidelity(
  sourceDir: string,
  dbUrl: string,
  t: BenchTable,
  targetName: string,
): Promise<FidelityResult> {
  const columns = t.columns.filter((c) => c !== t.surrogate);
  const db = new Database(join(sourceDir, t.file), { readonly: true });
  let rows: Record<string, unknown>[];
  try {
    const maxRowid = Number(
      (db.prepare(`SELECT max(rowid) AS m FROM ${t.source}`).get() as { m: number | null }).m ?? 0,
    );
    const rowids = [...new Set(Array.from({ length: SAMPLE }, (_, i) => 1 + Math.floor((i * maxRowid) / SAMPLE)))];
    const sql = `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${t.source} WHERE rowid IN (${rowids.join(',')})`;
    rows = db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
  const keys = rows.map((r) => String(r[t.key]));
  const target = await withClient(dbUrl, async (c) => {
    const select = columns.map((col) => `${targetExpr(t.types[col] ?? 'text', col)} AS ${quoteIdent(col)}`).join(', ');
    const res = await c.query<Record<string, unknown>>(
      `SELECT ${select} FROM public.${quoteIdent(targetName)} WHERE ${quoteIdent(t.key)} = ANY($1)`,
      [keys],
    );
    return new Map(res.rows.map((r) => [String(r[t.key]), r]));
  });
  let missing = 0;
  const mismatches: Record<string, { count: number; example: { source: unknown; target: unknown } }> = {};
  for (const row of rows) {
    const other = target.get(String(row[t.key]));
    if (!other) {
      missing++;
      continue;
    }
    for (const col of columns) {
      const type = t.types[col] ?? 'text';
      const s = sourceValue(type, row[col]);
      const d = targetValue(type, other[col]);
      if (s === d) continue;
      const entry = mismatches[col] ?? { count: 0, example: { source: s, target: d } };
      entry.count++;
      mismatches[col] = entry;
    }
  }
  return { table: targetName, sampled: rows.length, missing, mismatches };
}
