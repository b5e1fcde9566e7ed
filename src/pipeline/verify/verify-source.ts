import Database from 'better-sqlite3';
import type { TableSpec } from '../../mapping/schema.js';
import { compileTable } from '../../tables/row-converter.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import type { TargetValue } from '../../tables/value.js';
import { canonicalKey, keyHash, SetDigest, type CanonicalForm } from '../../tables/canonical.js';
import type { HashField } from '../../target/binary-copy.js';
import { rowHasher } from '../shared/digest-plan.js';
import { rawTextReader, readPages, type RowidSlice } from '../../source/read.js';
import { openSource } from '../../source/connection.js';
import { IdMap, type IdMapData } from './id-map.js';
import { targetName } from '../../mapping/target-name.js';

/** One source table feeding the verified target, with what the ledger says about its rows. */
export interface ExpectedSource {
  readonly dbPath: string;
  readonly spec: TableSpec;
  readonly sourceColumns: readonly string[];
  /** Rowids rejected at load time, and rowids a conflict policy resolved instead of loading. */
  readonly rejected: readonly string[];
  readonly notLoaded: readonly string[];
  /** Re-assigned ids (surrogate, or a keep-both text id): source id → target id (src/pipeline/verify/id-map.ts). */
  readonly idMap: IdMapData;
  /** Only the rows in this rowid range (after, upTo]: one worker's share of the table. */
  readonly rowids?: RowidSlice;
}

export interface ExpectedInput {
  /** Where to keep the expected rows by key; null for the digest-only first pass. */
  readonly scratchPath: string | null;
  readonly sources: readonly ExpectedSource[];
  readonly compared: readonly string[];
  /** How each compared column is printed: its form in the target. */
  readonly comparedForms: readonly CanonicalForm[];
  /** The binary row hash's fields (src/target/binary-copy.ts), where the comparison hashes in that form. */
  readonly binaryFields: readonly HashField[] | null;
  readonly surrogate: string | null;
  readonly keyIsSurrogate: boolean;
  /** The key columns' forms in the target (canonicalKey). */
  readonly keyForms: readonly CanonicalForm[];
  /** Keys whose target row a conflict policy changed: checked against the ledger, not the source. */
  readonly resolvedKeys: readonly string[];
  readonly sourceTimezone: string;
}

export interface ExpectedResult {
  /** `source`: every source row converted again now; `load`: the digests the load computed from the rows it sent, the source files proven unchanged since. */
  readonly from?: 'source' | 'load';
  readonly sourceDigest: string;
  readonly rows: number;
  readonly accountedRejected: number;
  readonly accountedResolved: number;
  /** Source rows read, whatever became of them: held to the rows SQLite counts (assertSourceRead, ./comparison.ts). */
  readonly read: number;
}

/**
 * The rows a run should have written, recomputed from the source now: every
 * source row through the converters again, hashed in canonical form, stored by
 * key hash in a scratch SQLite file (bounded memory). Runs on a worker thread
 * while the main thread reads the target.
 */
export function computeExpected(
  input: ExpectedInput,
  onRows: (done: number) => void = () => undefined,
): ExpectedResult {
  const scratch = input.scratchPath === null ? null : new Database(input.scratchPath);
  let addExp: Database.Statement | null = null;
  if (scratch !== null) {
    scratch.pragma('journal_mode = OFF');
    scratch.pragma('synchronous = OFF');
    // Keys arrive in source order, not key order: this cache keeps the random
    // B-tree inserts of a million-row table off the disk and still bounds memory.
    scratch.pragma('cache_size = -65536');
    scratch.exec(
      'CREATE TABLE exp (kh INTEGER PRIMARY KEY, hash TEXT NOT NULL, task INTEGER NOT NULL, rowid_ INTEGER NOT NULL)',
    );
    addExp = scratch.prepare('INSERT OR REPLACE INTO exp (kh, hash, task, rowid_) VALUES (?, ?, ?, ?)');
  }
  const inTransaction = (fn: () => void): void => (scratch === null ? fn() : scratch.transaction(fn)());
  const resolvedKeys = new Set(input.resolvedKeys);
  const digest = new SetDigest();
  const offsetOf = timeZoneOffsetFn(input.sourceTimezone);
  let accountedRejected = 0;
  let accountedResolved = 0;
  let done = 0;
  try {
    for (const [taskNo, src] of input.sources.entries()) {
      const db = openSource(src.dbPath);
      try {
        const compiled = compileTable(src.spec, src.sourceColumns, {
          offsetOf,
          fetchRaw: rawTextReader(db, src.spec.source),
        });
        const rejected = new Set(src.rejected);
        const notLoaded = new Set(src.notLoaded);
        const idMap = new IdMap(src.idMap);
        const idx = input.compared.map((c) => compiled.targetColumns.indexOf(c));
        // Most runs reject and resolve nothing: then no row needs its rowid or key looked up.
        const checkRowids = rejected.size + notLoaded.size > 0;
        const needKey = addExp !== null || resolvedKeys.size > 0;
        const hasher = rowHasher(idx, input.comparedForms, input.binaryFields);
        const surrogateIdx =
          input.surrogate === null ? -1 : compiled.targetColumns.indexOf(targetName(src.spec, input.surrogate));
        for (const page of readPages(db, src.spec.source, compiled.selectColumns, {
          maxRows: 1000,
          maxBytes: 16 * 1024 * 1024,
          sliceable: compiled.sliceable,
          afterRowid: src.rowids?.after ?? undefined,
          upToRowid: src.rowids?.upTo ?? undefined,
        })) {
          inTransaction(() => {
            for (const raw of page.rows) {
              if (checkRowids) {
                const rowid = String(raw[0]);
                if (rejected.has(rowid)) {
                  accountedRejected++;
                  continue;
                }
                if (notLoaded.has(rowid)) {
                  accountedResolved++;
                  continue;
                }
              }
              const out = compiled.convertRow(raw);
              const values: TargetValue[] = out.values;
              // Before the surrogate is mapped: the id map is keyed by the key as loaded.
              let key = needKey ? compiled.keyOf(raw, values) : '';
              if (surrogateIdx >= 0 && out.reject === null) {
                const mapped = idMap.get(String(values[surrogateIdx]));
                if (mapped !== undefined) values[surrogateIdx] = mapped;
              }
              if (needKey) {
                if (input.keyIsSurrogate) key = idMap.get(key) ?? key;
                key = canonicalKey(key, input.keyForms);
                if (resolvedKeys.has(key)) {
                  accountedResolved++;
                  continue;
                }
              }
              // A row that no longer converts (changed in SQLite after the run) expects nothing it can match.
              let hash: string;
              if (out.reject === null) {
                hash = hasher.hash(values);
              } else {
                hash = `unconvertible:${out.reject.kind}`;
              }
              digest.add(out.reject === null ? hash : '0000000000000000');
              addExp?.run(keyHash(key), hash, taskNo, raw[0]);
            }
          });
          done += page.rows.length;
          onRows(done);
        }
      } finally {
        db.close();
      }
    }
  } finally {
    scratch?.close();
  }
  return { sourceDigest: digest.toString(), rows: digest.count, accountedRejected, accountedResolved, read: done };
}
