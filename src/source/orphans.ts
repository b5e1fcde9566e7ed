import type Database from 'better-sqlite3';
import { quoteSqliteIdent } from './quote.js';
import type { SourceFile } from './discover.js';
import type { ForeignKey, TableSpec } from '../mapping/schema.js';
import type { FindingCollector } from '../findings/collector.js';
import { formatKey } from '../util/keys.js';
import { rowidOf } from './rowid.js';

/**
 * Rows whose foreign key points nowhere. SQLite never enforced these keys for
 * Aragora's stores, so orphans are normal (continuum entries archived,
 * consensus rows moved to the archive). They load unchanged: a key only
 * profiled is not created in the target, and an application key the tool
 * adds after the load is added NOT VALID when orphans are kept. Checked within
 * one file, where the referenced table lives. Keys the existing target table
 * declares already (`enforcedByTarget`) are not reported here: their orphans
 * cannot load and are rejected (plan.ts, fk-orphans.ts).
 */
export function findOrphans(
  db: Database.Database,
  spec: TableSpec,
  file: SourceFile,
  findings: FindingCollector,
  enforcedByTarget: (fk: ForeignKey) => boolean = () => false,
  /** Per source table of the file, the rowids plan rejects: they will not be there to be pointed at. */
  rejectedRowids: ReadonlyMap<string, readonly bigint[]> = new Map(),
): void {
  const tables = new Map(file.objects.map((o) => [o.name, o] as const));
  const own = tables.get(spec.source);
  for (const fk of spec.foreignKeys) {
    if (enforcedByTarget(fk)) continue;
    const parent = tables.get(fk.references.table);
    if (own === undefined || parent === undefined) continue;
    const childCols = new Set(own.columns.map((c) => c.name));
    const parentCols = new Set(parent.columns.map((c) => c.name));
    if (!fk.columns.every((c) => childCols.has(c)) || !fk.references.columns.every((c) => parentCols.has(c))) continue;
    const q = quoteSqliteIdent;
    const notNull = fk.columns.map((c) => `c.${q(c)} IS NOT NULL`).join(' AND ');
    const match = fk.columns.map((c, i) => `p.${q(fk.references.columns[i] as string)} = c.${q(c)}`).join(' AND ');
    const keyCols = spec.key.filter((k) => childCols.has(k));
    const rejected = rejectedRowids.get(fk.references.table) ?? [];
    const live =
      rejected.length === 0
        ? ''
        : ` AND p.${rowidOf(db, fk.references.table)} NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`;
    const sql = `SELECT c.${rowidOf(db, spec.source)}, ${keyCols.map((k) => `c.${q(k)}`).join(', ') || 'NULL'} FROM ${q(spec.source)} c
                  WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${q(fk.references.table)} p WHERE ${match}${live})`;
    let count = 0;
    const keys: string[] = [];
    for (const row of db
      .prepare(sql)
      .raw(true)
      .iterate(...(rejected.length === 0 ? [] : [JSON.stringify(rejected.map(String))])) as IterableIterator<
      unknown[]
    >) {
      count++;
      if (keys.length < 5) keys.push(formatKey(row.slice(1), row[0] as bigint));
    }
    if (count === 0) continue;
    findings.add({
      file: file.path,
      table: spec.source,
      column: fk.columns.join(', '),
      kind: 'fk_orphan',
      action: 'keep',
      count,
      keys,
      message: fk.enforce
        ? `${fk.columns.join(', ')} points to no ${fk.references.table} row; kept, and the application's foreign key is added NOT VALID (new rows and cascades are checked)`
        : `${fk.columns.join(', ')} points to no ${fk.references.table} row; loaded as is (SQLite never enforced this key and the target does not either)`,
    });
  }
}
