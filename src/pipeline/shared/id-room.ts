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
  readonly #sql: string;
  readonly #at: number;
  /** Rows the table's policy settles by their key (they take no new id); null: every row meeting an id takes one. */
  readonly #settledByKey: boolean;
  readonly #room: bigint;
  readonly #max: bigint;
  #needed = 0;
  readonly #keys: string[] = [];

  private constructor(
    client: pg.Client,
    table: string,
    sql: string,
    at: number,
    settledByKey: boolean,
    room: bigint,
    max: bigint,
  ) {
    this.#client = client;
    this.#table = table;
    this.#sql = sql;
    this.#at = at;
    this.#settledByKey = settledByKey;
    this.#room = room;
    this.#max = max;
  }

  /**
   * Undefined when no row could lack an id: no surrogate, no row in the
   * target, no sequence, or more ids left than the source table has rows (the
   * usual case, judged without reading a row).
   */
  static async of(
    client: pg.Client,
    schema: string,
    spec: TableSpec,
    state: TargetTableState,
    targetColumns: readonly string[],
    source: Database.Database,
    sourceRows: number,
  ): Promise<IdRoom | undefined> {
    if (spec.surrogateKey === undefined || !state.exists || state.rows === 0) return undefined;
    const surrogate = targetName(spec, spec.surrogateKey);
    const at = targetColumns.indexOf(surrogate);
    if (at < 0) return undefined;
    const table = qualified(schema, spec.target);
    const seq = (
      await client.query<{ max: string; top: string | null }>(
        `SELECT s.seqmax::text AS max, (SELECT max(${quoteIdent(surrogate)}) FROM ${table})::text AS top
           FROM pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence($1, $2)::regclass`,
        [`${quoteIdent(schema)}.${quoteIdent(spec.target)}`, surrogate],
      )
    ).rows[0];
    if (seq === undefined) return undefined;
    const max = BigInt(seq.max);
    const start = [BigInt(seq.top ?? '0'), sourceMaxId(source, spec.source, spec.surrogateKey)].reduce((a, b) =>
      a > b ? a : b,
    );
    const room = max > start ? max - start : 0n;
    if (room >= BigInt(sourceRows)) return undefined;
    const key = spec.key.map((k) => targetName(spec, k));
    const keyIsSurrogate = key.length === 1 && key[0] === surrogate;
    const sql = `SELECT u.i FROM ${unnestRows(1)}
                  WHERE EXISTS (SELECT 1 FROM ${table} AS t WHERE t.${quoteIdent(surrogate)} = u.c0::bigint)
                  ORDER BY u.i`;
    // As the load: a row meeting its key is settled by the policy first, unless the key is the id or the policy keeps both.
    const settledByKey = !keyIsSurrogate && spec.conflict.policy !== 'keep-both';
    return new IdRoom(client, spec.target, sql, at, settledByKey, room, max);
  }

  /** Counts the rows of `page` that would take a new id; `keyHits`: the rows whose key the target holds. */
  async count(page: ConvertedPage, keyHits: readonly number[]): Promise<void> {
    const settled = new Set(this.#settledByKey ? keyHits : []);
    const rows = page.outcomes.map((_, i) => i).filter((i) => !settled.has(i));
    if (rows.length === 0) return;
    const ids = rows.map((i) => constraintText(page.outcomes[i]?.values[this.#at]));
    const res = await constraintQuery<{ i: number }>(this.#client, this.#table, this.#sql, [rows, ids]);
    this.#needed += res.rows.length;
    for (const r of res.rows) if (this.#keys.length < 5) this.#keys.push(page.keys[r.i] ?? '');
  }

  /** Null when the sequence has an id for every row counted. */
  shortfall(): IdShortfall | null {
    if (BigInt(this.#needed) <= this.#room) return null;
    return { needed: this.#needed, room: this.#room, sequenceMax: this.#max, keys: this.#keys };
  }
}

/**
 * The highest integer id of the source table: where the load moves the
 * sequence before it gives an id (createStage). Ids that are not integers
 * are rejected by the converter and move nothing.
 */
export function sourceMaxId(db: Database.Database, table: string, column: string): bigint {
  const c = quoteSqliteIdent(column);
  const v = db
    .prepare(`SELECT max(${c}) FROM ${quoteSqliteIdent(table)} WHERE typeof(${c}) = 'integer'`)
    .pluck()
    .safeIntegers(true)
    .get() as bigint | null;
  return v ?? 0n;
}
