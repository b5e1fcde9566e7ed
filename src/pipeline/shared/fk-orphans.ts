import type Database from 'better-sqlite3';
import type pg from 'pg';
import { quoteSqliteIdent } from '../../source/quote.js';
import type { TableSpec } from '../../mapping/schema.js';
import type { CompiledTable, OrphanFilter } from '../../tables/row-converter.js';
import type { SourceValue } from '../../tables/value.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import type { TargetForeignKey } from '../../target/target-state.js';
import { rowidOf } from '../../source/rowid.js';

/** Distinct key values checked against the target per query. */
const CHUNK = 5000;

/**
 * `fk`'s referenced table as the SQLite table `source` it is loaded from,
 * with `parentSpec` (that table's mapping) naming its columns.
 */
export function sourceParent(
  source: string,
  parentSpec: TableSpec,
  fk: TargetForeignKey,
  rejectedRowids: readonly bigint[] = [],
): SourceParent {
  return {
    table: source,
    columns: fk.parentColumns.map((c) => parentSpec.columns.find((x) => (x.target ?? x.name) === c)?.name ?? c),
    rejectedRowids,
  };
}

export interface SourceParent {
  /** The SQLite table the referenced target table is loaded from, in the same file. */
  readonly table: string;
  /** Its columns, in the key's order. */
  readonly columns: readonly string[];
  /** Its rows that will be rejected: they will not be there for the referencing rows. */
  readonly rejectedRowids?: readonly bigint[];
}

/**
 * The values of a source table's foreign key that the referenced target table
 * does not hold: under a key the target declares, a row with such a value
 * cannot load, so it is rejected losslessly (kind fk_orphan). migrate asks
 * once the referenced table is loaded (parents load first). plan asks before
 * anything is loaded, so with `sourceParent` a value the same file's parent
 * table holds counts as present: it will be loaded first.
 *
 * Bounded memory: the distinct values are streamed from SQLite and checked in
 * chunks; only the missing ones are kept. Null when the key's columns are not
 * all read from the source (nothing to check).
 */
export async function missingParents(
  client: pg.Client,
  db: Database.Database,
  spec: TableSpec,
  compiled: CompiledTable,
  fk: TargetForeignKey,
  sourceParent?: SourceParent,
): Promise<OrphanFilter | null> {
  const sourceNames = fk.columns.map(
    (t) => spec.columns.find((c) => (c.target ?? c.name) === t && compiled.selectColumns.includes(c.name))?.name,
  );
  if (sourceNames.some((n) => n === undefined)) return null;
  const cols = sourceNames as string[];
  const q = quoteSqliteIdent;
  const own = cols.map((c) => `c.${q(c)}`);
  const rejected = sourceParent?.rejectedRowids ?? [];
  const notInFile =
    sourceParent === undefined || sourceParent.columns.length !== cols.length
      ? ''
      : ` AND NOT EXISTS (SELECT 1 FROM ${q(sourceParent.table)} AS p WHERE ${sourceParent.columns.map((p, i) => `p.${q(p)} = ${own[i] as string}`).join(' AND ')}${rejected.length === 0 ? '' : ` AND p.${rowidOf(db, sourceParent.table)} NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`})`;
  const parent = qualified(fk.parentSchema, fk.parent);
  const types = await client.query<{ c: string; t: string }>(
    'SELECT attname AS c, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
    [parent],
  );
  const typeOf = new Map(types.rows.map((r) => [r.c, r.t] as const));
  const on = fk.parentColumns.map((p, i) => `p.${quoteIdent(p)} = u.a${i}::${typeOf.get(p) ?? 'text'}`).join(' AND ');
  const check = `SELECT u.i FROM unnest(${fk.parentColumns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${fk.parentColumns.map((_, i) => `a${i}`).join(', ')}, i)
                  WHERE NOT EXISTS (SELECT 1 FROM ${parent} AS p WHERE ${on})`;

  const missing: string[] = [];
  let chunk: string[][] = [];
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const params = fk.columns.map((_, j) => chunk.map((tuple) => tuple[j] as string));
    const res = await client.query<{ i: string }>(check, params);
    for (const r of res.rows) {
      const tuple = chunk[Number(r.i) - 1] as string[];
      missing.push(tuple.length === 1 ? (tuple[0] as string) : JSON.stringify(tuple));
    }
    chunk = [];
  };
  const sql = `SELECT DISTINCT ${own.join(', ')} FROM ${q(spec.source)} AS c WHERE ${own.map((c) => `${c} IS NOT NULL`).join(' AND ')}${notInFile}`;
  const params = notInFile !== '' && rejected.length > 0 ? [JSON.stringify(rejected.map(String))] : [];
  for (const row of db
    .prepare(sql)
    .raw(true)
    .iterate(...params) as IterableIterator<SourceValue[]>) {
    const tuple = row.map((v, j) => compiled.convertValue(fk.columns[j] as string, v));
    // A value that does not convert rejects its row anyway. A number is
    // asked as its text, which the parent column's type reads and the
    // converter's orphan check matches (String(value), src/tables/row-converter.ts):
    // an integer key was skipped here, and its orphans failed the table's COPY.
    if (!tuple.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint')) continue;
    chunk.push(tuple.map(String));
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  return { constraint: fk.name, columns: fk.columns, parent: fk.parent, missing };
}
