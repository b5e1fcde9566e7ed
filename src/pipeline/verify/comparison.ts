import { join } from 'node:path';
import type pg from 'pg';
import { SourceError } from '../../errors.js';
import type { TableSpec } from '../../mapping/schema.js';
import { compileTable, type CompiledTable } from '../../tables/row-converter.js';
import type { OffsetFn } from '../../tables/timestamp.js';
import {
  CANONICAL_SESSION_SQL,
  canonicalKey,
  columnCanon,
  keySelectExpr,
  keysVerbatim,
  rowHashExpr,
  type CanonicalForm,
  type ColumnCanon,
  type SetDigest,
} from '../../tables/canonical.js';
import { rekeyedTextKey } from '../../target/merge-sql.js';
import {
  keysOfOtherRuns,
  otherRunsLoaded,
  policyResolvedKeys,
  reassignedIds,
  rejectedRowids,
  resolvedRowids,
} from '../../ledger/verifications.js';
import { rawTextReader } from '../../source/read.js';
import type { Reporter } from '../../report/events.js';
import type { VerifyTableResult } from '../../report/verify-report.js';
import { WORKER_MIN_ROWS } from '../shared/batch-source.js';
import { sourceColumnsOf, type Task } from '../shared/tasks.js';
import { storesUtf8, targetColumnTypes } from '../../target/column-types.js';
import { binaryRowHashExpr } from '../../target/binary-copy.js';
import { comparedColumns, type BinaryHash } from '../shared/digest-plan.js';
import type { ExpectedInput, ExpectedResult, ExpectedSource } from './verify-source.js';
import { IdMap } from './id-map.js';
import { targetName } from '../../mapping/target-name.js';

export interface VerifyTableInput {
  readonly client: pg.Client;
  readonly runId: string;
  readonly schema: string;
  readonly target: string;
  readonly tasks: readonly Task[];
  readonly offsetOf: OffsetFn;
  readonly sourceTimezone: string;
  readonly maxKeys: number;
  readonly tmpDir: string;
  readonly reporter: Reporter;
  /** Whether a source file (its path in the run) hashes now as the run recorded it when it started. */
  readonly sourceUnchanged: (path: string) => Promise<boolean>;
  /** Never take the load's row digests: convert the source again. */
  readonly fromSource: boolean;
}

/** How one target table is compared with its sources: what each side holds, in one canonical form. */
export interface Comparison {
  readonly input: VerifyTableInput;
  /**
   * The column whose values a run may have re-assigned: an autoincrement
   * surrogate, or a text id under keep-both (loaded as `<id>~<instance>`).
   */
  readonly surrogate: string | null;
  readonly keyIsSurrogate: boolean;
  /** Keys whose target row a conflict policy changed: checked against the ledger, not the source. */
  readonly resolvedKeys: readonly string[];
  /** Whether other runs inserted rows into the table (a second instance's merge, or the first's seen from the second). */
  readonly hasOtherRuns: boolean;
  /**
   * Keys other runs inserted into the table, with the run: read from the
   * ledger when first asked for (a table a first instance filled has one per
   * row), which the digest pass does only where the server cannot set those
   * rows apart itself (`keyExpr` null).
   */
  readonly otherRunKeys: () => Promise<readonly { readonly key: string; readonly runId: string }[]>;
  /** Each source table with what the ledger says about its rows (rejected, resolved, re-keyed). */
  readonly sources: readonly ExpectedSource[];
  readonly compiledBy: ReadonlyMap<Task, CompiledTable>;
  /** Per source table: the ids a run re-assigned, source id → target id. */
  readonly idMaps: ReadonlyMap<Task, IdMap>;
  /** The target columns compared, and how each is printed (same order). */
  readonly compared: readonly string[];
  readonly canons: readonly ColumnCanon[];
  /** The row hash in binary form (src/target/binary-copy.ts); null: the text form. */
  readonly binary: BinaryHash | null;
  /** The target's key columns. */
  readonly keyCols: readonly string[];
  /** SQL: each key column printed in its canonical form (keySelectExpr). */
  readonly keyExprs: readonly string[];
  /** The key columns' forms: canonicalKey puts a ledger key (or a source row's) in the form keyExprs print. */
  readonly keyForms: readonly CanonicalForm[];
  /** SQL: the row hash the server computes. */
  readonly hashExpr: string;
  /** SQL: the key columns, then the row hash: what the target read returns per row. */
  readonly select: string;
  /** SQL: a target row's key as the ledger writes it, for a one-column key; null for a composite one. */
  readonly keyExpr: string | null;
  /** Below WORKER_MIN_ROWS source rows: computed here, a worker costs more than it saves. */
  readonly small: boolean;
}

/**
 * Everything verify needs before reading a row: what the ledger accounts for,
 * the converters of each source table, the compared columns in the target's
 * types, and the SQL that prints and hashes a target row. Sets the session's
 * print settings (CANONICAL_SESSION_SQL) on the connection.
 */
export async function prepareComparison(input: VerifyTableInput): Promise<Comparison> {
  const { client, runId, target } = input;
  const spec0 = (input.tasks[0] as Task).spec;
  const surrogate = spec0.surrogateKey ?? rekeyedTextKey(spec0);
  const keyIsSurrogate = surrogate !== null && spec0.key.length === 1 && spec0.key[0] === surrogate;
  const hasOtherRuns = await otherRunsLoaded(client, target, runId);
  const { compiledBy, columns } = compileSources(input);
  const { sources, idMaps } = await accountedSources(input);
  const types = await targetColumnTypes(client, input.schema, target);
  const keyCols = spec0.key.map((k) => targetName(spec0, k));
  const keyForms = keyCols.map((c) => columnCanon(c, types.get(c) ?? 'text').form);
  // The ledger's keys, in the form the target's keys are read in.
  const resolvedKeys = (await policyResolvedKeys(client, target)).map((k) => canonicalKey(k, keyForms));
  let otherKeys: Promise<{ key: string; runId: string }[]> | null = null;
  const otherRunKeys = (): Promise<{ key: string; runId: string }[]> =>
    (otherKeys ??= hasOtherRuns
      ? keysOfOtherRuns(client, target, runId).then((ks) =>
          ks.map((k) => ({ key: canonicalKey(k.key, keyForms), runId: k.runId })),
        )
      : Promise.resolve([]));
  const utf8 = await storesUtf8(client);
  const { compared, canons, binary: binary0 } = comparedColumns(spec0, columns, types, utf8);
  // Several source tables into one target: the binary form only where each one's converters give the same kinds.
  const kinds = (spec: TableSpec): string => JSON.stringify(comparedColumns(spec, columns, types, utf8).binary?.fields);
  const kinds0 = JSON.stringify(binary0?.fields);
  const binary = input.tasks.every((t) => t.spec === spec0 || kinds(t.spec) === kinds0) ? binary0 : null;
  // The forms columnCanon prints in, whatever the server's defaults.
  await client.query(CANONICAL_SESSION_SQL);
  // The server prints and hashes each row; only keys and hashes come back.
  const hashExpr =
    binary === null ? rowHashExpr(canons.map((x) => x.expr)) : binaryRowHashExpr(binary.sql, binary.fields);
  const keyExprs = keyCols.map((c) => keySelectExpr(c, types.get(c) ?? 'text'));
  const select = [...keyExprs, hashExpr].join(', ');
  // The server sets other runs' rows apart by their ledger keys (summedTargetDigestApart): where the
  // key it prints is the ledger's text (targetKey, src/tables/target-key.ts), for a one-column key.
  const keyExpr = keyExprs.length === 1 && keysVerbatim(keyForms) ? (keyExprs[0] as string) : null;
  const small = input.tasks.reduce((n, t) => n + t.rows, 0) < WORKER_MIN_ROWS;
  return {
    input,
    surrogate,
    keyIsSurrogate,
    resolvedKeys,
    hasOtherRuns,
    otherRunKeys,
    sources,
    compiledBy,
    idMaps,
    compared,
    canons,
    binary,
    keyCols,
    keyExprs,
    keyForms,
    hashExpr,
    select,
    keyExpr,
    small,
  };
}

/** Each source table's converters; the columns compared are those every source table fills. */
function compileSources(input: VerifyTableInput): {
  compiledBy: Map<Task, CompiledTable>;
  columns: readonly string[] | null;
} {
  const compiledBy = new Map<Task, CompiledTable>();
  let columns: readonly string[] | null = null;
  for (const task of input.tasks) {
    const compiled = compileTable(task.spec, sourceColumnsOf(task), {
      offsetOf: input.offsetOf,
      fetchRaw: rawTextReader(task.snapshot.db, task.spec.source),
    });
    compiledBy.set(task, compiled);
    columns = columns === null ? compiled.targetColumns : columns.filter((c) => compiled.targetColumns.includes(c));
  }
  return { compiledBy, columns };
}

/** Each source table with what the ledger accounts for in it: rows rejected, rows a policy resolved instead of loading, ids re-assigned. */
async function accountedSources(
  input: VerifyTableInput,
): Promise<{ sources: ExpectedSource[]; idMaps: Map<Task, IdMap> }> {
  const { client, runId } = input;
  const sources: ExpectedSource[] = [];
  const idMaps = new Map<Task, IdMap>();
  for (const task of input.tasks) {
    const rejected = await rejectedRowids(client, runId, task.file.path, task.spec.source);
    const notLoaded = await resolvedRowids(client, runId, task.file.path, task.spec.source);
    const ids = await reassignedIds(client, runId, task.file.path, task.spec.source);
    const idMap = IdMap.fromLedger(ids.ints, ids.texts);
    idMaps.set(task, idMap);
    sources.push({
      dbPath: task.snapshot.readPath,
      spec: task.spec,
      sourceColumns: sourceColumnsOf(task),
      rejected,
      notLoaded,
      idMap: idMap.data,
    });
  }
  return { sources, idMaps };
}

/** Where the keyed pass keeps the expected rows by key. */
export function expectedScratchPath(c: Comparison): string {
  return join(c.input.tmpDir, `verify-${c.input.target}-exp.db`);
}

/** What the source side computes: digests only, or (`keyed`) every expected row by key in a scratch file. */
export function expectedInputOf(c: Comparison, keyed: boolean): ExpectedInput {
  return {
    scratchPath: keyed ? expectedScratchPath(c) : null,
    sources: c.sources,
    compared: c.compared,
    comparedForms: c.canons.map((x) => x.form),
    binaryFields: c.binary?.fields ?? null,
    surrogate: c.surrogate,
    keyIsSurrogate: c.keyIsSurrogate,
    keyForms: c.keyForms,
    resolvedKeys: c.resolvedKeys,
    sourceTimezone: c.input.sourceTimezone,
  };
}

/** Progress of the source side, as rows converted so far. */
export function sourceProgress(c: Comparison): (done: number) => void {
  return (done) => c.input.reporter.emit('table:rows', { file: 'source', table: c.input.target, done, bytes: 0 });
}

/**
 * The source rows verify read (converted, or vouched for by the load's
 * digests) against the rows SQLite counts in its tables, on the same
 * snapshot: a read that stopped short would agree with a target missing the
 * same rows. The load holds itself to the same count (allRowsRead,
 * src/pipeline/migrate/load-tables.ts).
 */
export function assertSourceRead(c: Comparison, exp: ExpectedResult): void {
  const { tasks, target } = c.input;
  const holds = tasks.reduce((n, t) => n + t.rows, 0);
  if (exp.read === holds) return;
  const one = tasks.length === 1 ? tasks[0] : undefined;
  throw new SourceError(
    'SOURCE_ROWS_UNREAD',
    `${target}: verify read ${exp.read} row(s) of the ${holds} ${tasks.map((t) => `${t.file.path} ${t.spec.source}`).join(', ')} hold${tasks.length === 1 ? 's' : ''}`,
    one === undefined ? {} : { file: one.file.path, table: one.spec.source },
  );
}

export function resultOf(
  c: Comparison,
  exp: ExpectedResult,
  digest: SetDigest,
  found: Pick<VerifyTableResult, 'missing' | 'changed' | 'extra' | 'otherRuns' | 'mismatches'>,
): VerifyTableResult {
  return {
    target: c.input.target,
    sources: c.input.tasks.map((t) => `${t.file.path} ${t.spec.source}`),
    rowsSource: exp.rows,
    rowsTarget: digest.count,
    sourceDigest: exp.sourceDigest,
    sourceDigestFrom: exp.from ?? 'source',
    targetDigest: digest.toString(),
    accountedRejected: exp.accountedRejected,
    accountedResolved: exp.accountedResolved,
    ...found,
  };
}
