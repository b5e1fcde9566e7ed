/**
 * The ids a run re-assigned in one source table, source id → target id, as
 * verify looks them up for every source row it converts again. A second
 * instance's surrogate ids all collide with the first's (both count from 1),
 * so the map can hold one pair per row: as a Map of strings, kept by the main
 * thread and by each source worker, 500k pairs took about 70 MB a copy, and
 * verify of a second 1.5M-row instance peaked at 531 MiB. Integer ids are kept
 * here as pairs in one BigInt64Array sorted by source id, over a
 * SharedArrayBuffer that every worker reads in place (16 bytes a pair, one
 * copy); the text ids of keep-both (positions, populations: a few per run)
 * stay in a Map.
 */
export interface IdMapData {
  /** Pairs (source id, target id), sorted by source id: 2n BigInt64 values. */
  readonly ints: SharedArrayBuffer;
  readonly texts: readonly (readonly [string, string])[];
}

const INTEGER = /^-?\d{1,19}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class IdMap {
  readonly #data: IdMapData;
  readonly #ints: BigInt64Array;
  readonly #texts: ReadonlyMap<string, string>;

  constructor(data: IdMapData) {
    this.#data = data;
    this.#ints = new BigInt64Array(data.ints);
    this.#texts = new Map(data.texts);
  }

  /**
   * From the ledger (src/ledger/verifications.ts, reassignedIds): integer
   * pairs as big-endian int64 (source id, target id) sorted by source id, and
   * text pairs.
   */
  static fromLedger(ints: Buffer, texts: readonly (readonly [string, string])[]): IdMap {
    const shared = new SharedArrayBuffer(ints.length - (ints.length % 16));
    const view = new BigInt64Array(shared);
    for (let i = 0; i < view.length; i++) view[i] = ints.readBigInt64BE(8 * i);
    return new IdMap({ ints: shared, texts });
  }

  /** What travels to a worker: the shared buffer itself, and the few text pairs. */
  get data(): IdMapData {
    return this.#data;
  }

  /** How many pairs the data holds, without building the map. */
  static sizeOf(data: IdMapData): number {
    return data.ints.byteLength / 16 + data.texts.length;
  }

  /** The target id of a source id (its text form), or undefined when it kept its id. */
  get(from: string): string | undefined {
    const text = this.#texts.get(from);
    if (text !== undefined || this.#ints.length === 0) return text;
    const f = asInt64(from);
    // Only an id's plain form names it, as a key of the ledger's pairs would.
    if (f === null || String(f) !== from) return undefined;
    const ints = this.#ints;
    let lo = 0;
    let hi = ints.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ints[2 * mid] as bigint;
      if (v === f) return String(ints[2 * mid + 1]);
      if (v < f) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

/** The integer a text writes in its plain form, within int64; null for any other text. */
function asInt64(text: string): bigint | null {
  if (!INTEGER.test(text)) return null;
  const n = BigInt(text);
  return n >= INT64_MIN && n <= INT64_MAX ? n : null;
}
