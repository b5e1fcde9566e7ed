import type Database from 'better-sqlite3';
import type pg from 'pg';
import { unnestRows } from '../../target/unnest-rows.js';
import type { ColumnSpec, TableSpec, TargetType } from '../../mapping/schema.js';
import { quoteSqliteIdent } from '../../source/quote.js';
import { rowidOf } from '../../source/rowid.js';
import { INDEX_ENTRY_MAX, type CompiledTable, type OversizedKeys } from '../../tables/row-converter.js';
import type { SourceValue, TargetValue } from '../../tables/value.js';
import { indexEntry } from '../../target/target-ddl.js';
import { pgTypeName } from '../../target/target-state.js';

/**
 * Per variable-size target type, how many bytes of an index entry one byte of
 * the converted value may take at most (jsonb's binary form spends a header
 * on every element); a fixed-size type is at most 8 bytes, in the overhead.
 */
const ENTRY_BYTES_PER_BYTE: Partial<Record<TargetType, number>> = { text: 1, bytea: 1, numeric: 1, jsonb: 8 };

/**
 * How many bytes of the converted value one byte of the SQLite value may
 * become: an invalid UTF-8 byte becomes U+FFFD (3 bytes), a blob in a text
 * column its hex.
 */
const CONVERTED_PER_SOURCE_BYTE = 3;

/** The entry header and null bitmap, then per column its length header, alignment and any fixed-size value. */
const entryOverhead = (columns: number): number => 16 + 16 * columns;

/** Candidates sent to the server per query, and their bytes at most. */
const CHUNK_ROWS = 500;
const CHUNK_BYTES = 16 * 1024 * 1024;

/** One index of the table's target: its primary key, a UNIQUE, or a b-tree index, its columns as the spec has them. */
interface DeclaredKey {
  readonly label: string;
  readonly columns: readonly ColumnSpec[];
}

/**
 * Rows whose key no index entry of the target can hold, per index of the
 * table: its primary key, UNIQUE constraints and b-tree indexes, as the
 * mapping declares them (the application's schema, for its tables). Such a
 * row cannot be stored in the table as the application defines it: COPY into
 * a table that has the index fails on the row, and a table created without
 * them (load-tables.ts, target-tables.ts) could not be given them after its
 * load. So it is rejected losslessly, as a row the target refuses (kind
 * key_too_large), and plan counts it beforehand.
 *
 * Which keys are too large is the server's answer, not an estimate: a long
 * value is compressed before it is indexed, and 8 kB of repeated text fits
 * where 4 kB of random bytes does not. SQLite first names the rows whose key
 * could reach the limit from its size alone (through the file's own index on
 * the column where it has one: tens of milliseconds for a million rows), the
 * converted key's exact size leaves the few that can, and each of those is
 * indexed, in a transaction rolled back, in a temporary table with the key's
 * column types. Without `client` (plan with no target), or where the server
 * cannot make the temporary table (a read-only target, no TEMP privilege),
 * every candidate counts as too large: its row is rejected, with its
 * original, rather than fail the load.
 */
export async function oversizedKeys(
  client: pg.Client | null,
  db: Database.Database,
  spec: TableSpec,
  compiled: CompiledTable,
): Promise<OversizedKeys[]> {
  const found: OversizedKeys[] = [];
  // Indexes sharing their variable-size columns share one scan of the file.
  const large = new Map<string, readonly bigint[]>();
  for (const key of declaredKeys(spec, compiled)) {
    const variable = key.columns.filter((c) => ENTRY_BYTES_PER_BYTE[c.type] !== undefined);
    const signature = JSON.stringify(variable.map((c) => c.name));
    let rowids = large.get(signature);
    if (rowids === undefined) large.set(signature, (rowids = largeRows(db, spec.source, variable, MIN_BUDGET)));
    if (rowids.length === 0) continue;
    const candidates = keyCandidates(db, spec.source, key, compiled, rowids);
    if (candidates.length === 0) continue;
    const refused =
      (client === null ? null : await refusedByServer(client, key, candidates)) ?? candidates.map((c) => c.rowid);
    if (refused.length > 0)
      found.push({ constraint: key.label, columns: key.columns.map(targetName), rowids: refused });
  }
  return found;
}

const targetName = (c: ColumnSpec): string => c.target ?? c.name;

/** Bytes of converted values an index entry of `columns` columns surely holds uncompressed. */
const budgetOf = (columns: number): number => INDEX_ENTRY_MAX - entryOverhead(columns);

/** The smallest budget of any index (PostgreSQL's at most 32 columns): the file's rows above it are looked at. */
const MIN_BUDGET = budgetOf(32);

/**
 * The table's indexes with a variable-size column, each column read from the
 * source as it is (one with a column the source lacks or one derived from
 * JSON is left out: its values are not the file's). Only b-tree: a GIN index
 * on jsonb hashes a long value into its entry.
 */
function declaredKeys(spec: TableSpec, compiled: CompiledTable): DeclaredKey[] {
  const pk = spec.primaryKey ?? spec.key;
  const sets = [
    { label: (l: string) => `the primary key (${l})`, names: pk },
    ...spec.unique
      .filter((u) => u.join() !== pk.join())
      .map((names) => ({ label: (l: string) => `UNIQUE (${l})`, names })),
    ...spec.indexes
      .filter((ix) => ix.using === undefined || ix.using === 'btree')
      .map((ix) => ({
        label: (l: string) => `index ${ix.name} (${l})`,
        names: ix.columns.map((e) => indexEntry(e).column),
      })),
  ];
  const keys: DeclaredKey[] = [];
  for (const { label, names } of sets) {
    const columns = names.map((n) => spec.columns.find((c) => c.name === n));
    if (columns.some((c) => c === undefined || c.fromJson !== undefined || !compiled.selectColumns.includes(c.name)))
      continue;
    const cols = columns as ColumnSpec[];
    if (cols.some((c) => ENTRY_BYTES_PER_BYTE[c.type] !== undefined))
      keys.push({ label: label(cols.map(targetName).join(', ')), columns: cols });
  }
  return keys;
}

/** The rows of `table` whose `variable` columns, converted, may pass `budget` bytes: by their size in the file. */
function largeRows(db: Database.Database, table: string, variable: readonly ColumnSpec[], budget: number): bigint[] {
  const weighed = variable.map(
    (c) =>
      `coalesce(octet_length(${quoteSqliteIdent(c.name)}), 0) * ${CONVERTED_PER_SOURCE_BYTE * (ENTRY_BYTES_PER_BYTE[c.type] ?? 1)}`,
  );
  return db
    .prepare(`SELECT ${rowidOf(db, table)} FROM ${quoteSqliteIdent(table)} WHERE ${weighed.join(' + ')} > ${budget}`)
    .pluck()
    .safeIntegers(true)
    .all() as bigint[];
}

interface Candidate {
  readonly rowid: bigint;
  /** The key's values as the server reads them from text (bytes as `\x` hex), null for NULL. */
  readonly texts: readonly (string | null)[];
  readonly bytes: number;
}

/** Of the rows `rowids`, those whose converted key may not fit an entry of `key`'s index. */
function keyCandidates(
  db: Database.Database,
  table: string,
  key: DeclaredKey,
  compiled: CompiledTable,
  rowids: readonly bigint[],
): Candidate[] {
  const budget = budgetOf(key.columns.length);
  const rowid = rowidOf(db, table);
  const sql = `SELECT ${rowid}, ${key.columns.map((c) => quoteSqliteIdent(c.name)).join(', ')} FROM ${quoteSqliteIdent(table)} WHERE ${rowid} IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`;
  const out: Candidate[] = [];
  const rows = db
    .prepare(sql)
    .raw(true)
    .safeIntegers(true)
    .iterate(JSON.stringify(rowids.map(String))) as IterableIterator<SourceValue[]>;
  for (const row of rows) {
    const values = key.columns.map((c, j) => compiled.convertValue(targetName(c), row[j + 1] as SourceValue));
    // A value that does not convert rejects its row anyway.
    if (values.some((v) => v === undefined)) continue;
    let size = 0;
    key.columns.forEach((c, j) => {
      size += byteSize(values[j] as TargetValue) * (ENTRY_BYTES_PER_BYTE[c.type] ?? 0);
    });
    if (size <= budget) continue;
    out.push({ rowid: row[0] as bigint, texts: values.map((v) => serverText(v as TargetValue)), bytes: size });
  }
  return out;
}

function byteSize(v: TargetValue): number {
  if (v === null) return 0;
  if (Buffer.isBuffer(v)) return v.length;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 8;
}

function serverText(v: TargetValue): string | null {
  if (v === null) return null;
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  return String(v);
}

/**
 * Of the candidates, those the server cannot index: each is inserted into
 * an indexed temporary table of the key's types, one subtransaction each
 * (a DO block, so one round trip a chunk), in a transaction rolled back.
 * Null when the server cannot run the test.
 */
async function refusedByServer(
  client: pg.Client,
  key: DeclaredKey,
  candidates: readonly Candidate[],
): Promise<bigint[] | null> {
  const types = key.columns.map((c) => pgTypeName(c.type));
  const cols = types.map((t, j) => `k${j} ${t}`).join(', ');
  const names = types.map((_, j) => `k${j}`);
  const refused: bigint[] = [];
  await client.query('BEGIN');
  try {
    // Named through pg_temp: a table of the same name in a schema of the search path is never meant.
    await client.query(`CREATE TEMP TABLE am_keyfit_in (i int, ${cols}) ON COMMIT DROP`);
    await client.query(`CREATE TEMP TABLE am_keyfit (${cols}) ON COMMIT DROP`);
    await client.query(`CREATE INDEX ON pg_temp.am_keyfit (${names.join(', ')})`);
    await client.query('CREATE TEMP TABLE am_keyfit_out (i int) ON COMMIT DROP');
    for (const chunk of chunks(candidates)) {
      const params = [chunk.map((_, i) => i), ...names.map((_, j) => chunk.map((c) => c.texts[j] ?? null))];
      await client.query(
        `INSERT INTO pg_temp.am_keyfit_in SELECT u.i, ${names.map((n, j) => `u.${n}::${types[j] as string}`).join(', ')}
           FROM ${unnestRows(names.length, 'k')}`,
        params,
      );
      await client.query(`DO $keyfit$
        DECLARE r record;
        BEGIN
          FOR r IN SELECT * FROM pg_temp.am_keyfit_in LOOP
            BEGIN
              INSERT INTO pg_temp.am_keyfit VALUES (${names.map((n) => `r.${n}`).join(', ')});
            EXCEPTION WHEN program_limit_exceeded THEN
              INSERT INTO pg_temp.am_keyfit_out VALUES (r.i);
            END;
          END LOOP;
        END $keyfit$`);
      const out = await client.query<{ i: number }>('SELECT i FROM pg_temp.am_keyfit_out ORDER BY i');
      for (const r of out.rows) refused.push((chunk[r.i] as Candidate).rowid);
      await client.query('TRUNCATE pg_temp.am_keyfit_in, pg_temp.am_keyfit, pg_temp.am_keyfit_out');
    }
  } catch {
    return null;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
  return refused;
}

function* chunks(candidates: readonly Candidate[]): Generator<Candidate[]> {
  let chunk: Candidate[] = [];
  let bytes = 0;
  for (const c of candidates) {
    if (chunk.length > 0 && (chunk.length >= CHUNK_ROWS || bytes + c.bytes > CHUNK_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(c);
    bytes += c.bytes;
  }
  if (chunk.length > 0) yield chunk;
}
