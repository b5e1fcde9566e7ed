import type Database from 'better-sqlite3';
import { quoteSqliteIdent } from './quote.js';

export type ObjectType = 'table' | 'view' | 'virtual' | 'shadow' | 'internal';

export interface SourceColumn {
  readonly name: string;
  readonly declaredType: string;
  readonly notNull: boolean;
  /** Position in the primary key, 0 when not part of it. */
  readonly pk: number;
  readonly hidden: boolean;
}

export interface SourceObject {
  readonly name: string;
  readonly type: ObjectType;
  readonly withoutRowid: boolean;
  readonly columns: readonly SourceColumn[];
  /** Row count for tables; null for what is not read. */
  readonly rows: number | null;
  /** Why the object is not migrated, when it is not. */
  readonly skipReason: string | null;
}

/** Tables that are bookkeeping, not data (reference §0.5, §1.4, §5.7). */
const NEVER_COPY: Readonly<Record<string, string>> = {
  _schema_versions:
    "schema bookkeeping of Aragora's SQLite stores; copying its rows would stop Aragora creating its PostgreSQL tables",
  sqlite_sequence: "SQLite's autoincrement counters; the target's sequences are reset instead",
  sqlite_stat1: "SQLite's planner statistics",
  sqlite_stat4: "SQLite's planner statistics",
};

interface TableListRow {
  schema: string;
  name: string;
  type: string;
  wr: bigint | number;
}

/** Reads `sqlite_master` through PRAGMA table_list (SQLite ≥ 3.37), never trusting the file name. */
export function inventory(db: Database.Database): SourceObject[] {
  // The schema table itself is listed too; it is the catalogue, not an object in it.
  const listed = (db.prepare('PRAGMA table_list').all() as TableListRow[]).filter(
    (t) => t.schema === 'main' && t.name !== 'sqlite_schema' && t.name !== 'sqlite_master',
  );
  const virtuals = new Map<string, string>();
  for (const t of listed) {
    if (t.type === 'virtual') {
      const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(t.name) as
        { sql: string | null } | undefined;
      const using = /USING\s+(\w+)/i.exec(row?.sql ?? '');
      virtuals.set(t.name, using?.[1]?.toLowerCase() ?? 'virtual');
    }
  }
  const out: SourceObject[] = [];
  for (const t of listed.sort((a, b) => a.name.localeCompare(b.name))) {
    const type = objectType(t, virtuals);
    const skipReason = skipReasonFor(t.name, type, virtuals);
    const columns = type === 'table' || type === 'view' ? readColumns(db, t.name) : [];
    if (type === 'table' && skipReason === null && !addressable(db, t.name, columns)) {
      out.push({ name: t.name, type, withoutRowid: Number(t.wr) === 1, columns, rows: null, skipReason: NOT_UTF8 });
      continue;
    }
    let rows: number | null = null;
    if (type === 'table') {
      const r = db.prepare(`SELECT count(*) AS n FROM ${quoteSqliteIdent(t.name)}`).get() as { n: bigint | number };
      rows = Number(r.n);
    }
    out.push({ name: t.name, type, withoutRowid: Number(t.wr) === 1, columns, rows, skipReason });
  }
  return out;
}

/** Why a table whose name, or a column's, is not valid UTF-8 is not read (discover blocks it when it is mapped). */
export const NOT_UTF8 =
  'its name or a column name is not valid UTF-8: SQLite cannot be asked for it by the name it reports, so its rows cannot be read';

/**
 * Whether the table and its columns can be named in SQL. A name stored with
 * bytes that are not UTF-8 comes back with U+FFFD in their place, a name
 * SQLite then knows nothing of: the table lists no columns, or selecting them
 * fails.
 */
function addressable(db: Database.Database, table: string, columns: readonly SourceColumn[]): boolean {
  if (columns.length === 0) return false;
  if (!table.includes('\uFFFD') && !columns.some((c) => c.name.includes('\uFFFD'))) return true;
  try {
    db.prepare(
      `SELECT ${columns.map((c) => quoteSqliteIdent(c.name)).join(', ')} FROM ${quoteSqliteIdent(table)} LIMIT 0`,
    );
    return true;
  } catch {
    return false;
  }
}

function objectType(t: TableListRow, virtuals: ReadonlyMap<string, string>): ObjectType {
  if (t.name.startsWith('sqlite_')) return 'internal';
  if (t.type === 'view') return 'view';
  if (t.type === 'virtual') return 'virtual';
  if (t.type === 'shadow') return 'shadow';
  // Older SQLite builds list FTS shadow tables as plain tables: recognise them by name.
  for (const [name, module] of virtuals) {
    if (
      module.startsWith('fts')
      && /^(data|idx|content|docsize|config)$/.test(t.name.slice(name.length + 1))
      && t.name.startsWith(`${name}_`)
    ) {
      return 'shadow';
    }
  }
  return 'table';
}

function skipReasonFor(name: string, type: ObjectType, virtuals: ReadonlyMap<string, string>): string | null {
  const fixed = NEVER_COPY[name];
  if (fixed !== undefined) return fixed;
  switch (type) {
    case 'internal':
      return "SQLite's internal table";
    case 'view':
      return 'a view, not a table: its rows come from other tables';
    case 'virtual':
      return `${virtuals.get(name) ?? 'virtual'} virtual table (a rebuildable index, not data)`;
    case 'shadow': {
      const owner = [...virtuals.keys()].find((v) => name.startsWith(`${v}_`));
      return `shadow table of the ${owner === undefined ? 'virtual' : `${virtuals.get(owner) ?? ''} table ${owner}`} (rebuildable)`;
    }
    case 'table':
      return null;
  }
}

interface XInfoRow {
  name: string;
  type: string;
  notnull: bigint | number;
  pk: bigint | number;
  hidden: bigint | number;
}

function readColumns(db: Database.Database, table: string): SourceColumn[] {
  const rows = db.prepare(`PRAGMA table_xinfo(${quoteSqliteIdent(table)})`).all() as XInfoRow[];
  return rows.map((r) => ({
    name: r.name,
    declaredType: r.type,
    notNull: Number(r.notnull) === 1,
    pk: Number(r.pk),
    // 1: a virtual table's hidden column. Generated columns (2, 3) are read like any
    // other: their values are loaded as plain columns.
    hidden: Number(r.hidden) === 1,
  }));
}
