import type pg from 'pg';
import type { ColumnSpec, TableSpec, TriggerSpec } from '../mapping/schema.js';
import { qualified, quoteIdent } from '../util/quote.js';
import { pgTypeName, type TargetTableState } from './target-state.js';

const targetName = (c: ColumnSpec): string => c.target ?? c.name;

/** The type a column of `spec` (by its target name) takes in the table the run creates (createTableSql); undefined for no such column. */
export function createdColumnType(spec: TableSpec, column: string): string | undefined {
  const c = spec.columns.find((x) => targetName(x) === column);
  return c === undefined ? undefined : pgTypeName(c.type);
}

/**
 * The target tables follow the application's PostgreSQL schema
 * (mappings/aragora/*.json say which tables an Aragora store owns): the tool
 * creates the app's table, with its columns, defaults, keys, indexes, foreign
 * keys and triggers, so the app's own `CREATE … IF NOT EXISTS` schema applies
 * on top unchanged. Only types are wider (REAL → double precision, INTEGER →
 * bigint, SERIAL → bigserial), and columns SQLite holds and the app lacks are
 * added.
 */
export function createTableSql(schema: string, spec: TableSpec, keys = true): string {
  const cols = spec.columns.map((c) => {
    // An autoincrement id is a serial, as in the app's DDL (bigserial: SQLite's are 64-bit):
    // the app inserts without an id, the tool with the source's.
    if (spec.surrogateKey === c.name)
      return `${quoteIdent(targetName(c))} ${c.type === 'integer' ? 'serial' : 'bigserial'}`;
    const parts = [quoteIdent(targetName(c)), pgTypeName(c.type)];
    if (c.default !== undefined) parts.push(`DEFAULT ${c.default}`);
    if (!c.nullable) parts.push('NOT NULL');
    return parts.join(' ');
  });
  if (keys) cols.push(...keyClauses(spec));
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, spec.target)} (\n  ${cols.join(',\n  ')}\n)`;
}

/** The table's primary key and unique constraints, as CREATE TABLE and ALTER TABLE … ADD take them. */
function keyClauses(spec: TableSpec): string[] {
  const byName = (n: string): string =>
    quoteIdent(
      targetName(
        spec.columns.find((c) => c.name === n) ?? { name: n, type: 'text', nullable: true, targetOnly: false },
      ),
    );
  const pk = spec.primaryKey ?? spec.key;
  const out = [`PRIMARY KEY (${pk.map(byName).join(', ')})`];
  for (const u of spec.unique) {
    if (u.join() !== pk.join()) out.push(`UNIQUE (${u.map(byName).join(', ')})`);
  }
  return out;
}

/**
 * The keys of a table created without them (createTableSql's `keys`), added
 * once its rows are in: building a key's index from the loaded rows took
 * 10.5 s for the benchmark's 1M `continuum_memory` rows where inserting each
 * row into it took 13.2-14.3 s (docs/performance.md). The constraints get the
 * names CREATE TABLE gives them (`<table>_pkey`, `<table>_<columns>_key`), so
 * the application's schema finds them where it expects them.
 */
export function addKeysSql(schema: string, spec: TableSpec): string {
  return `ALTER TABLE ${qualified(schema, spec.target)} ${keyClauses(spec)
    .map((c) => `ADD ${c}`)
    .join(', ')}`;
}

/** Whether the table has a primary key (a table created with its keys after the load has none until then). */
export async function hasPrimaryKey(client: pg.Client, schema: string, table: string): Promise<boolean> {
  return (await primaryKeyColumns(client, schema, table)) !== null;
}

/** The columns of the table's primary key, in key order; null without one (or without the table). */
export async function primaryKeyColumns(client: pg.Client, schema: string, table: string): Promise<string[] | null> {
  const r = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.n`,
    [qualified(schema, table)],
  );
  return r.rows.length === 0 ? null : r.rows.map((x) => x.name);
}

/** Every table of `schema` that has a primary key, with its columns in key order. */
export async function existingPrimaryKeys(client: pg.Client, schema: string): Promise<Map<string, string[]>> {
  const r = await client.query<{ tbl: string; cols: string[] }>(
    `SELECT c.relname AS tbl, array_agg(a.attname::text ORDER BY k.n) AS cols
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace s ON s.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indisprimary AND s.nspname = $1
      GROUP BY c.relname`,
    [schema],
  );
  return new Map(r.rows.map((x) => [x.tbl, x.cols] as const));
}

/** An index entry of a mapping (`column [ASC|DESC]`): the column it names, and its order as written. */
export function indexEntry(entry: string): { readonly column: string; readonly order: string } {
  const m = /^(.*?)(\s+(?:ASC|DESC))?$/i.exec(entry.trim());
  return { column: m?.[1] ?? entry, order: m?.[2] ?? '' };
}

/** Secondary indexes, built after the load (faster than maintaining them row by row). */
export function createIndexSql(schema: string, spec: TableSpec): string[] {
  return spec.indexes.map((ix) => {
    const cols = ix.columns.map((entry) => {
      const { column: name, order } = indexEntry(entry);
      const col = spec.columns.find((c) => c.name === name);
      return `${quoteIdent(col === undefined ? name : targetName(col))}${order}`;
    });
    const using = ix.using === undefined ? '' : ` USING ${ix.using}`;
    return `CREATE INDEX IF NOT EXISTS ${quoteIdent(ix.name)} ON ${qualified(schema, spec.target)}${using} (${cols.join(', ')})`;
  });
}

/**
 * A trigger and its function, as the application's schema declares them
 * (CREATE OR REPLACE FUNCTION, then DROP TRIGGER IF EXISTS and CREATE
 * TRIGGER, which is what the app runs at every start too).
 */
export function triggerSql(schema: string, table: string, t: TriggerSpec): string[] {
  const fn = qualified(schema, t.function.name);
  return [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE ${t.function.language} AS $aragora_migrate$${t.function.body}$aragora_migrate$`,
    `DROP TRIGGER IF EXISTS ${quoteIdent(t.name)} ON ${qualified(schema, table)}`,
    `CREATE TRIGGER ${quoteIdent(t.name)} ${t.timing} ${t.events.join(' OR ')} ON ${qualified(schema, table)} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  ];
}

export interface PreparedTarget {
  readonly created: boolean;
  readonly addedColumns: readonly string[];
  readonly widened: readonly ColumnWidening[];
  readonly addedTriggers: readonly string[];
}

/**
 * Makes the target table ready before a row moves: created when missing, with
 * its triggers (so COPY fires them for every migrated row), and with its keys
 * unless `keysAfterLoad` (addKeysSql adds them once its rows are in). When present, the
 * columns --widen-columns asked for are widened, columns the mapping has and
 * the table lacks are added (never dropped), and a trigger of the mapping the
 * table lacks is created. What refuses the run was judged before
 * (target-fit.ts), for every table at once.
 */
export async function prepareTargetTable(
  client: pg.Client,
  schema: string,
  spec: TableSpec,
  state: TargetTableState,
  widen: readonly ColumnWidening[],
  keysAfterLoad = false,
): Promise<PreparedTarget> {
  const table = qualified(schema, spec.target);
  if (!state.exists) {
    await client.query(createTableSql(schema, spec, !keysAfterLoad));
    for (const t of spec.triggers) for (const sql of triggerSql(schema, spec.target, t)) await client.query(sql);
    return { created: true, addedColumns: [], widened: [], addedTriggers: spec.triggers.map((t) => t.name) };
  }
  for (const w of widen) {
    await client.query(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(w.column)} TYPE ${w.to}`);
    if (w.to === 'bigint') await widenOwnedSequence(client, table, w.column);
  }
  const add = spec.columns.filter((c) => !state.columns.has(targetName(c)));
  for (const c of add) {
    const def = c.default !== undefined ? ` DEFAULT ${c.default}` : '';
    await client.query(
      `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdent(targetName(c))} ${pgTypeName(c.type)}${def}`,
    );
  }
  const triggers = spec.triggers.filter((t) => !state.triggers.has(t.name));
  for (const t of triggers) for (const sql of triggerSql(schema, spec.target, t)) await client.query(sql);
  return {
    created: false,
    addedColumns: add.map(targetName),
    widened: widen,
    addedTriggers: triggers.map((t) => t.name),
  };
}

/** A foreign key of the application's schema, in target names. */
export interface AppForeignKey {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly parent: string;
  readonly parentColumns: readonly string[];
  readonly onDelete: string | undefined;
}

/**
 * The mapping's `enforce` foreign keys of `spec`, in target table and column
 * names (mappings reference source tables), named as PostgreSQL names an
 * inline REFERENCES: `<table>_<columns>_fkey`.
 */
export function appForeignKeys(
  spec: TableSpec,
  bySource: ReadonlyMap<string, { readonly table: TableSpec }>,
): AppForeignKey[] {
  const out: AppForeignKey[] = [];
  for (const fk of spec.foreignKeys) {
    const parent = bySource.get(fk.references.table)?.table;
    if (!fk.enforce || parent === undefined) continue;
    const col = (t: TableSpec, n: string): string =>
      targetName(t.columns.find((c) => c.name === n) ?? { name: n, type: 'text', nullable: true, targetOnly: false });
    const columns = fk.columns.map((c) => col(spec, c));
    out.push({
      name: `${spec.target}_${columns.join('_')}_fkey`.slice(0, 63),
      table: spec.target,
      columns,
      parent: parent.target,
      parentColumns: fk.references.columns.map((c) => col(parent, c)),
      onDelete: fk.onDelete,
    });
  }
  return out;
}

export interface AddedForeignKey {
  readonly name: string;
  readonly table: string;
  readonly parent: string;
  /** Rows that point nowhere, kept: the key is then added NOT VALID (every new row is checked, old ones are not). */
  readonly orphans: number;
  readonly validated: boolean;
}

/**
 * After the load: adds an application foreign key the table lacks. With no
 * orphan it is added NOT VALID and then validated (validation takes a lock
 * that lets the application go on writing); with orphans it stays NOT VALID,
 * so they are kept while every new row and every cascade works. Idempotent: a
 * key added by an earlier, killed process is validated when it can be. Null
 * when the table holds the key already, or the referenced table is absent.
 */
export async function ensureForeignKey(
  client: pg.Client,
  schema: string,
  fk: AppForeignKey,
): Promise<AddedForeignKey | null> {
  const table = qualified(schema, fk.table);
  const parent = qualified(schema, fk.parent);
  const parentExists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [parent]);
  if (parentExists.rows[0]?.ok !== true) return null;
  const existing = await client.query<{ name: string; validated: boolean }>(
    `SELECT k.conname AS name, k.convalidated AS validated FROM pg_constraint k
      WHERE k.conrelid = $1::regclass AND k.contype = 'f' AND k.confrelid = $2::regclass
        AND ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY AS x(n, o) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n ORDER BY x.o)::text[] = $3::text[]`,
    [table, parent, fk.columns],
  );
  const found = existing.rows[0];
  if (found?.validated === true) return null;
  const cols = fk.columns.map((c) => `c.${quoteIdent(c)}`);
  const match = fk.parentColumns
    .map((p, i) => `p.${quoteIdent(p)} = c.${quoteIdent(fk.columns[i] as string)}`)
    .join(' AND ');
  const orphans = Number(
    (
      await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${table} AS c WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${parent} AS p WHERE ${match})`,
      )
    ).rows[0]?.n ?? 0,
  );
  const name = found?.name ?? fk.name;
  if (found === undefined) {
    const onDelete = fk.onDelete === undefined ? '' : ` ON DELETE ${fk.onDelete.toUpperCase()}`;
    await client.query(
      `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(name)} FOREIGN KEY (${fk.columns.map(quoteIdent).join(', ')}) REFERENCES ${parent} (${fk.parentColumns.map(quoteIdent).join(', ')})${onDelete} NOT VALID`,
    );
  }
  if (orphans === 0) await client.query(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${quoteIdent(name)}`);
  else if (found !== undefined) return null;
  return { name, table: fk.table, parent: fk.parent, orphans, validated: orphans === 0 };
}

/**
 * A serial column widened to bigint keeps an integer sequence (an identity
 * column's follows its type): moving it past the migrated ids above 2^31 - 1
 * failed (`setval: value … is out of bounds for sequence`, exit 1), and the
 * application's next insert would have taken an id a migrated row holds. The
 * sequence's maximum follows its type when it was that type's own
 * (ALTER SEQUENCE … AS).
 */
async function widenOwnedSequence(client: pg.Client, table: string, column: string): Promise<void> {
  const seq = (
    await client.query<{ seq: string | null }>(
      `SELECT s.seqrelid::regclass::text AS seq FROM pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence($1, $2)::regclass AND s.seqtypid <> 'bigint'::regtype`,
      [table, column],
    )
  ).rows[0]?.seq;
  if (seq !== undefined && seq !== null) await client.query(`ALTER SEQUENCE ${seq} AS bigint`);
}

/** An ALTER … TYPE the run makes (with --widen-columns). */
export interface ColumnWidening {
  readonly table: string;
  /** Target column name. */
  readonly column: string;
  readonly from: string;
  readonly to: 'double precision' | 'bigint';
}
