import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { TableSpec } from '../../mapping/schema.js';
import { targetName } from '../../mapping/target-name.js';
import { quoteSqliteIdent } from '../../source/quote.js';
import type { TargetTableState } from '../../target/target-state.js';
import { unnestRows } from '../../target/unnest-rows.js';
import { qualified, quoteIdent } from '../../util/quote.js';
import type { ConvertedPage } from '../plan/profile.js';
import { constraintQuery, constraintText } from './check-breaks.js';
import type { EarlierRows, Prior } from './earlier-rows.js';

/** Rows that would need a new id past what the sequence can give. */
export interface IdShortfall {
  readonly needed: number;
  /** Ids the sequence has left after the highest id of the target and the source. */
  readonly room: bigint;
  readonly sequenceMax: bigint;
  readonly keys: readonly string[];
}

/**
 * A table with an autoincrement surrogate (`surrogateKey`) gives an incoming
 * row whose id the target holds a new id from the table's sequence, once the
 * sequence is past the highest id of the target and of the source file
 * (src/pipeline/migrate/load-table.ts, createStage and reassignClashingIds).
 * An id at the top of the sequence's range (9223372036854775807 in a source
 * file, or in the target from the instance before) leaves no id to give: the
 * load stopped at that batch (TARGET_IDS_EXHAUSTED) where plan had said GO.
 * This counts, page by page, the rows that would take a new id, and says
 * whether the sequence has room for them; plan blocks them and a new run
 * refuses them before it is created (src/pipeline/migrate/constraint-refusal.ts).
 */
export class IdRoom {
  readonly #client: pg.Client;
  readonly #table: string;
  /** The query for the rows whose id the target holds; null when the target holds no row. */
  readonly #sql: string | null;
  readonly #at: number;
  /** Rows the table's policy settles by their key (they take no new id); null: every row meeting an id takes one. */
  readonly #settledByKey: boolean;
  readonly #room: bigint;
  readonly #max: bigint;
  readonly #start: bigint;
  readonly #earlier: EarlierRows;
  #needed = 0;
  readonly #keys: string[] = [];

  private constructor(
    client: pg.Client,
    table: string,
    sql: string | null,
    at: number,
    settledByKey: boolean,
    range: { readonly start: bigint; readonly max: bigint },
    earlier: EarlierRows,
  ) {
    this.#client = client;
    this.#table = table;
    this.#sql = sql;
    this.#at = at;
    this.#settledByKey = settledByKey;
    this.#start = range.start;
    this.#max = range.max;
    this.#room = range.max > range.start ? range.max - range.start : 0n;
    this.#earlier = earlier;
  }

  /**
   * Undefined when no row could lack an id: no surrogate, no row in the
   * target nor from an earlier file of the run (`prior`), no sequence, or
   * more ids left than the source table has rows (the usual case, judged
   * without reading a row). `prior`: what the run's earlier tables of this
   * target leave in it (src/pipeline/shared/run-prior.ts).
   */
  static async of(
    client: pg.Client,
    schema: string,
    spec: TableSpec,
    state: TargetTableState,
    targetColumns: readonly string[],
    source: Database.Database,
    sourceRows: number,
    prior?: Prior,
  ): Promise<IdRoom | undefined> {
    if (spec.surrogateKey === undefined) return undefined;
    const held = state.exists && state.rows > 0;
    if (!held && prior === undefined) return undefined;
    const surrogate = targetName(spec, spec.surrogateKey);
    const at = targetColumns.indexOf(surrogate);
    if (at < 0) return undefined;
    // A column the run adds to an existing table (a table another instance's run created with
    // another key) holds no id yet and owns no sequence: nothing to count, and no column to ask.
    if (state.exists && !state.columns.has(surrogate)) return undefined;
    const table = qualified(schema, spec.target);
    const range = state.exists
      ? await sequenceRange(client, schema, spec.target, surrogate)
      : // The run creates the table: its id a serial or a bigserial (src/target/target-ddl.ts).
        {
          max: spec.columns.find((c) => c.name === spec.surrogateKey)?.type === 'integer' ? INT4_MAX : INT8_MAX,
          top: 0n,
        };
    if (range === undefined) return undefined;
    const start = [range.top, prior?.top() ?? 0n, sourceMaxId(source, spec.source, spec.surrogateKey)].reduce((a, b) =>
      a > b ? a : b,
    );
    if (range.max - start >= BigInt(sourceRows)) return undefined;
    const key = spec.key.map((k) => targetName(spec, k));
    const keyIsSurrogate = key.length === 1 && key[0] === surrogate;
    const sql = held
      ? `SELECT u.i FROM ${unnestRows(1)}
          WHERE EXISTS (SELECT 1 FROM ${table} AS t WHERE t.${quoteIdent(surrogate)} = u.c0::bigint)
          ORDER BY u.i`
      : null;
    // As the load: a row meeting its key is settled by the policy first, unless the key is the id or the policy keeps both.
    const settledByKey = !keyIsSurrogate && spec.conflict.policy !== 'keep-both';
    const earlier = prior === undefined ? NO_ROWS : await prior.rows({ surrogate });
    return new IdRoom(client, spec.target, sql, at, settledByKey, { start, max: range.max }, earlier);
  }

  /**
   * Counts the rows of `page` that would take a new id; `keyHits`: the rows
   * whose key the target holds. A row whose id or key an earlier table of the
   * run loads meets that row as it meets the target's.
   */
  async count(page: ConvertedPage, keyHits: readonly number[]): Promise<void> {
    const settled = new Set(this.#settledByKey ? keyHits : []);
    if (this.#settledByKey) page.keys.forEach((k, i) => this.#earlier.keys.has(k) && settled.add(i));
    const rows = page.outcomes.map((_, i) => i).filter((i) => !settled.has(i));
    const idOf = (i: number): string | null => constraintText(page.outcomes[i]?.values[this.#at]);
    const met: number[] = [];
    const toAsk: number[] = [];
    for (const i of rows) {
      const id = idOf(i);
      if (id !== null && this.#earlier.ids.has(id)) met.push(i);
      else toAsk.push(i);
    }
    if (this.#sql !== null && toAsk.length > 0) {
      const res = await constraintQuery<{ i: number }>(this.#client, this.#table, this.#sql, [toAsk, toAsk.map(idOf)]);
      met.push(...res.rows.map((r) => r.i));
    }
    this.#needed += met.length;
    for (const i of met.sort((a, b) => a - b)) if (this.#keys.length < 5) this.#keys.push(page.keys[i] ?? '');
  }

  /** Null when the sequence has an id for every row counted. */
  shortfall(): IdShortfall | null {
    if (BigInt(this.#needed) <= this.#room) return null;
    return { needed: this.#needed, room: this.#room, sequenceMax: this.#max, keys: this.#keys };
  }

  /** The highest id the table leaves in the target: the sequence's start, moved on by the ids it gave. */
  top(): bigint {
    return this.#start + BigInt(this.#needed);
  }
}

const NO_ROWS: EarlierRows = {
  ids: new Set(),
  keys: new Set(),
  sums: new Map(),
  floatSums: new Map(),
  products: new Map(),
};
const INT4_MAX = 2147483647n;
const INT8_MAX = 9223372036854775807n;

/** The maximum of the sequence a table's id takes, and the highest id the table holds; undefined without a sequence. */
async function sequenceRange(
  client: pg.Client,
  schema: string,
  target: string,
  surrogate: string,
): Promise<{ max: bigint; top: bigint } | undefined> {
  const seq = (
    await client.query<{ max: string; top: string | null }>(
      `SELECT s.seqmax::text AS max, (SELECT max(${quoteIdent(surrogate)}) FROM ${qualified(schema, target)})::text AS top
         FROM pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence($1, $2)::regclass`,
      [`${quoteIdent(schema)}.${quoteIdent(target)}`, surrogate],
    )
  ).rows[0];
  return seq === undefined ? undefined : { max: BigInt(seq.max), top: BigInt(seq.top ?? '0') };
}

/**
 * The highest integer id of the source table: where the load moves the
 * sequence before it gives an id (createStage). Ids that are not integers
 * are rejected by the converter and move nothing. SQLite sorts numbers
 * before text and blobs, so a bare max() that is an integer is the answer,
 * found in the b-tree without a scan when the id is the INTEGER PRIMARY KEY
 * or indexed; otherwise the integers are scanned for theirs.
 */
export function sourceMaxId(db: Database.Database, table: string, column: string): bigint {
  const c = quoteSqliteIdent(column);
  const t = quoteSqliteIdent(table);
  const top = db.prepare(`SELECT max(${c}) FROM ${t}`).pluck().safeIntegers(true).get() as unknown;
  if (typeof top === 'bigint' || top === null) return (top as bigint | null) ?? 0n;
  const v = db.prepare(`SELECT max(${c}) FROM ${t} WHERE typeof(${c}) = 'integer'`).pluck().safeIntegers(true).get() as
    bigint | null;
  return v ?? 0n;
}
