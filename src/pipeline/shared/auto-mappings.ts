import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { TargetDsn } from '../../config/dsn.js';
import { mappingSetOrThrow, type DerivedStore, type MappingSet } from '../../mapping/load.js';
import { checkTable } from '../../mapping/rules.js';
import { targetName } from '../../mapping/target-name.js';
import { TableSpecSchema, type ColumnSpec, type TableSpec, type TargetType } from '../../mapping/schema.js';
import { autoTable } from '../../source/auto-mapping.js';
import { discover } from '../../source/discover.js';
import type { SourceObject } from '../../source/inventory.js';
import { quoteSqliteIdent } from '../../source/quote.js';
import { connectTarget } from '../../target/connect.js';
import { existingPrimaryKeys } from '../../target/target-ddl.js';
import { sourceDamage } from './integrity.js';

/**
 * `--auto`: the mapping set, and for every table of the data dir's SQLite
 * files that it does not name, the mapping SQLite's own schema gives it
 * (src/source/auto-mapping.ts): any SQLite file migrates, not only Aragora's.
 * One store per file, named after it; a table name two files share is mapped
 * once, from the first file (in path order), and the second file's rows go
 * into the same table, as Aragora's positions do. A table the derivation
 * cannot map (a name longer than PostgreSQL takes, or the empty name) stays
 * unmapped, and plan lists it as such. The same files give the same set, so
 * plan, migrate, verify and rollback agree.
 */
export async function withAutoMappings(
  base: MappingSet,
  opts: {
    readonly dataDir: string;
    readonly allowLive: boolean;
    /**
     * The target and schema the command runs on, when it has one: a table
     * the schema holds already (another instance's run created it) is keyed
     * as it is there (byValues).
     */
    readonly target?: { readonly dsn: TargetDsn; readonly schema: string } | null;
  },
): Promise<MappingSet> {
  const targetKeys = opts.target == null ? undefined : await keysInTarget(opts.target.dsn, opts.target.schema);
  const mapped = new Set(base.bySource.keys());
  const derived: DerivedStore[] = [];
  await discover(
    { dataDir: opts.dataDir, mappings: base, allowLive: opts.allowLive, integrity: false },
    async (file, snapshot) => {
      const tables: TableSpec[] = [];
      for (const obj of file.objects) {
        if (obj.type !== 'table' || obj.skipReason !== null || mapped.has(obj.name)) continue;
        const spec = mappable(byValues(snapshot.db, obj, file.path, targetKeys));
        if (spec === null) continue;
        mapped.add(obj.name);
        tables.push(spec);
      }
      if (tables.length > 0)
        derived.push({
          label: `--auto: ${file.path}`,
          json: {
            name: `${AUTO_STORE}${file.path}`,
            description: `derived by --auto from the SQLite schema of ${file.path}`,
            files: { legacy: [], consolidated: [] },
            tables,
          },
        });
    },
  );
  return derived.length === 0 ? base : mappingSetOrThrow(base.dir, derived);
}

/**
 * The primary keys of the schema's tables. A target that cannot be reached
 * gives none: the command meets it next and says so in its own words (plan
 * as a finding, migrate as TARGET_UNREACHABLE).
 */
async function keysInTarget(dsn: TargetDsn, schema: string): Promise<Map<string, string[]> | undefined> {
  let client: pg.Client;
  try {
    client = await connectTarget(dsn, 'aragora-migrate --auto');
  } catch {
    return undefined;
  }
  try {
    return await existingPrimaryKeys(client, schema);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** How the name of a store --auto derived begins (the file's path follows). */
const AUTO_STORE = 'auto: ';

/** Whether --auto mapped tables of `set` that its files do not name: then every command on the run needs --auto too. */
export function hasAutoTables(set: MappingSet): boolean {
  return set.stores.some((s) => s.name.startsWith(AUTO_STORE));
}

/**
 * The derived table as a mapping can hold it: a column without a name is
 * left to be carried over as the tool carries any column a mapping does not
 * name (as `sqlite_unnamed`); a table whose mapping would still break the
 * schema or its rules is not mapped at all.
 */
function mappable(spec: TableSpec): TableSpec | null {
  const named = { ...spec, columns: spec.columns.filter((c) => c.name !== '') };
  if (named.key.some((k) => !named.columns.some((c) => c.name === k))) return null;
  const parsed = TableSpecSchema.safeParse(named);
  if (!parsed.success) return null;
  return checkTable(parsed.data, '').some((p) => p.severity === 'error') ? null : parsed.data;
}

/**
 * SQLite's storage classes (typeof), and `null`, with integers told apart by
 * the target types that hold them: `bit` is 0 or 1 (a boolean), `integer` any
 * other a double holds exactly (within ±2^53), `wideint` the rest (a bigint or
 * numeric only; a column of REAL affinity never holds one, SQLite stores it
 * as a real).
 */
type StorageClass = 'bit' | 'integer' | 'wideint' | 'real' | 'text' | 'blob' | 'null';

const INTEGERS: readonly StorageClass[] = ['bit', 'integer', 'wideint'];

/** How a note names each class. */
const CLASS_WORDS: Record<StorageClass, string> = {
  bit: '0/1 integer',
  integer: 'integer',
  wideint: 'integer beyond ±2^53',
  real: 'real',
  text: 'text',
  blob: 'blob',
  null: 'null',
};

/** Columns whose storage classes one query asks for: far below SQLite's 2,000 result columns. */
const CLASS_COLUMNS = 500;

/**
 * The table's mapping from its schema, then fitted to the values the file
 * holds, so that no value is rejected only because SQLite let a column hold
 * what its declared type does not say (pgloader's test suite has each of
 * these): a declared type names a target type, but a SQLite column holds any
 * value. A column whose values the target type cannot take becomes one that
 * takes them all: integers in a DATETIME column, or other than 0 and 1 in a
 * BOOLEAN one, bigint; integers and reals where integers were declared,
 * numeric; any text (a UUID in a column whose declared type has NUMERIC
 * affinity) or blob in a number, date or boolean column, text, each value as
 * SQLite prints it. A primary key with
 * a NULL in it (SQLite allows that unless the key is the rowid) cannot be a
 * PostgreSQL key: the table is keyed by its rowid instead, as a table without
 * one is, and its declared key columns load as columns.
 *
 * Unless the target holds the table already: a second instance's file is
 * keyed as the table the first one's run created, by its rowid or by the
 * columns of the table's key, which it may declare as its key or not (byTargetKey).
 * Keyed by its own values instead, a file with a NULL in its key loaded by
 * rowid into a table keyed by that column: its conflicts went unseen (plan
 * said GO, migrate stopped on the primary key, TARGET_CONSTRAINT), and
 * rollback, which tells an unmapped table's rows by the target's key, found
 * the run's rows "deleted since". Under the column's key, its NULL-keyed rows
 * are rejected (null_key); under the rowid, its key columns load as columns.
 */
function byValues(
  db: Database.Database,
  obj: SourceObject,
  file: string,
  targetKeys?: ReadonlyMap<string, readonly string[]>,
): TableSpec {
  const classes = readableClasses(db, obj, file);
  // A damaged file is mapped by its schema alone, so that it is reported (and
  // refused by migrate, SOURCE_CORRUPT) as any damaged file is, by the
  // integrity check, rather than crash here or be left out unmapped.
  if (classes === null) return autoTable(obj);
  const declared = autoTable(obj);
  const byRowid = autoTable({ ...obj, columns: obj.columns.map((c) => ({ ...c, pk: 0 })) });
  const existing = targetKeys?.get(declared.target);
  const nullInKey = obj.columns.some((c) => c.pk > 0 && classes.get(c.name)?.has('null') === true);
  const spec =
    [declared, byRowid, byTargetKey(obj, declared, existing)].find(
      (s) =>
        s !== undefined
        && existing !== undefined
        && sameNames(
          s.key.map((k) => targetName(s, k)),
          existing,
        ),
    ) ?? (nullInKey ? byRowid : declared);
  return { ...spec, columns: spec.columns.map((c) => fitted(c, classes.get(c.name))) };
}

/**
 * The file keyed by the columns of the target's key, when it has them all
 * under their target names and neither its declared key nor its rowid is
 * that key: a first instance's `xmin INTEGER PRIMARY KEY` (loaded as
 * `sqlite_xmin`) met in a second file that declares another key. Keyed by
 * its own instead, the second file's rows were judged by a key the table
 * does not have (a column the run adds): plan said GO where migrate stopped
 * on the table's primary key (TARGET_CONSTRAINT).
 */
function byTargetKey(
  obj: SourceObject,
  declared: TableSpec,
  existing: readonly string[] | undefined,
): TableSpec | undefined {
  if (existing === undefined || existing.length === 0) return undefined;
  const sources = existing.map((k) => declared.columns.find((c) => targetName(declared, c.name) === k)?.name);
  if (sources.some((c) => c === undefined)) return undefined;
  return autoTable({
    ...obj,
    columns: obj.columns.map((c) => ({ ...c, pk: sources.indexOf(c.name) + 1 })),
  });
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The table's storage classes; null when SQLite finds the file damaged reading them. */
function readableClasses(
  db: Database.Database,
  obj: SourceObject,
  file: string,
): Map<string, Set<StorageClass>> | null {
  try {
    return storageClasses(db, obj);
  } catch (err: unknown) {
    if (sourceDamage(err, file) !== null) return null;
    throw err;
  }
}

function storageClasses(db: Database.Database, obj: SourceObject): Map<string, Set<StorageClass>> {
  const columns = obj.columns.filter((c) => !c.hidden).map((c) => c.name);
  const out = new Map<string, Set<StorageClass>>();
  for (let i = 0; i < columns.length; i += CLASS_COLUMNS) {
    const part = columns.slice(i, i + CLASS_COLUMNS);
    const row = db
      .prepare(
        `SELECT ${part.map((c) => `group_concat(DISTINCT ${classOf(quoteSqliteIdent(c))})`).join(', ')} FROM ${quoteSqliteIdent(obj.name)}`,
      )
      .raw(true)
      .get() as (string | null)[];
    part.forEach((c, j) =>
      out.set(c, new Set(((row[j] ?? '') as string).split(',').filter((x) => x !== '') as StorageClass[])),
    );
  }
  return out;
}

/** The value's class, as SQL over one (quoted) column. */
function classOf(column: string): string {
  return `CASE typeof(${column}) WHEN 'integer' THEN CASE WHEN ${column} IN (0, 1) THEN 'bit' WHEN ${column} BETWEEN -9007199254740992 AND 9007199254740992 THEN 'integer' ELSE 'wideint' END ELSE typeof(${column}) END`;
}

/** The classes each target type of the derivation takes, besides NULL. */
const TAKES: Partial<Record<TargetType, readonly StorageClass[]>> = {
  bigint: INTEGERS,
  numeric: [...INTEGERS, 'real'],
  'double precision': ['bit', 'integer', 'real'],
  timestamptz: ['text'],
  boolean: ['bit'],
};

function fitted(column: ColumnSpec, classes: ReadonlySet<StorageClass> | undefined): ColumnSpec {
  const takes = TAKES[column.type];
  const held = [...(classes ?? [])].filter((c) => c !== 'null');
  if (takes === undefined || held.every((c) => takes.includes(c))) return column;
  const type: TargetType = held.every((c) => INTEGERS.includes(c))
    ? 'bigint'
    : held.every((c) => INTEGERS.includes(c) || c === 'real')
      ? 'numeric'
      : 'text';
  const words = [...new Set(held.map((c) => CLASS_WORDS[c]))].sort();
  const note = `${column.note ?? ''}; ${type}, since the file holds ${words.join(', ')} values in it`;
  return { ...column, type, note };
}
