import type pg from 'pg';
import { EXIT } from '../../errors.js';
import { DEFAULTS } from '../../defaults.js';
import type { ResolvedConfig } from '../../config/load-config.js';
import { discover, noStoreFinding, type SourceFile } from '../../source/discover.js';
import { assertDataDir } from '../../source/walk.js';
import type { SourceObject } from '../../source/inventory.js';
import type { MappingSet } from '../../mapping/load.js';
import type { Conflict, TableSpec } from '../../mapping/schema.js';
import { ESTIMATE_BASIS, estimateSeconds } from '../../report/estimate.js';
import { FindingCollector } from '../../findings/collector.js';
import { formatBytes } from '../../util/bytes.js';
import { dependenciesFirst } from '../../util/order.js';
import {
  planExitCode,
  toFileReport,
  type FileReport,
  type PlanReport,
  type TableReport,
} from '../../report/plan-report.js';
import { runFindings } from './run-findings.js';
import { pastRuns, resumePositions, type PastRuns } from '../shared/run-history.js';
import { ledgerExists } from '../../ledger/schema.js';
import { buildRunbook } from './runbook.js';
import { hasAutoTables } from '../shared/auto-mappings.js';
import type { FindingAction } from '../../findings/finding.js';
import { compileTable, type OrphanFilter } from '../../tables/row-converter.js';
import { timeZoneOffsetFn } from '../../tables/timestamp.js';
import { connectTarget } from '../../target/connect.js';
import { effectiveSpec, MAX_TABLE_COLUMNS, tooLongNames, tooManyColumns } from '../shared/effective-spec.js';
import { silentReporter, type Reporter } from '../../report/events.js';
import type { Snapshot } from '../../source/snapshot.js';
import { rekeyedTextKey } from '../../target/merge-sql.js';
import { createdColumnType } from '../../target/target-ddl.js';
import { findOrphans } from '../../source/orphans.js';
import { rowidName } from '../../source/rowid.js';
import { profileTable, type ConvertedPage } from './profile.js';
import { targetKeyHits } from '../shared/target-key-hits.js';
import { checkBreaks, writtenRows } from '../shared/check-breaks.js';
import { ConstraintTally } from './constraint-tally.js';
import { mergeOverflows } from '../shared/merge-overflows.js';
import { IdRoom, sourceMaxId } from '../shared/id-room.js';
import { RunPrior } from '../shared/run-prior.js';
import { uniqueHits } from '../shared/unique-hits.js';
import { missingPrivileges } from '../shared/privileges.js';
import { quoteIdent } from '../../util/quote.js';
import { SameKeys } from './same-keys.js';
import { rawTextReader } from '../../source/read.js';
import { sourceDamage } from '../shared/integrity.js';
import {
  inspectTarget,
  schemaMissing,
  takenNames,
  targetEncodingUnfit,
  targetReadOnly,
  type TargetForeignKey,
  type TargetTableState,
} from '../../target/target-state.js';
import { fitSpec, judgeColumns, narrowColumnValues, widened } from '../shared/target-fit.js';
import { missingParents, sourceParent, type SourceParent } from '../shared/fk-orphans.js';
import { oversizedKeys } from '../shared/oversized-keys.js';
import { targetName } from '../../mapping/target-name.js';

export interface PlanOptions {
  readonly config: ResolvedConfig;
  readonly mappings: MappingSet;
  readonly reporter?: Reporter;
  /** discover only: no profiling, no target. */
  readonly inventoryOnly?: boolean;
  readonly pageRows?: number;
  readonly pageBytes?: number;
}

/** What the conflict policy does with a row whose key exists: the finding's action. */
function conflictAction(c: Conflict): FindingAction {
  switch (c.policy) {
    case 'fail':
      return 'block';
    case 'keep-both':
      return 'keep';
    case 'keep-existing':
      return 'skip';
    case 'overwrite':
    case 'newest':
    case 'merge':
      return 'merge';
  }
}

/**
 * The dry run: discover every file, profile every mapped table through the
 * converters `migrate` uses, and (with a DSN) read the target's state. Writes
 * nothing anywhere: the sources are read through snapshots, the target only
 * with SELECTs (and, for a key that may be too large to index, a temporary
 * table in a transaction rolled back, src/pipeline/shared/oversized-keys.ts).
 */
export async function runPlan(opts: PlanOptions): Promise<PlanReport> {
  const { config, mappings } = opts;
  const reporter = opts.reporter ?? silentReporter;
  const findings = new FindingCollector();
  const tables: TableReport[] = [];
  const offsetOf = timeZoneOffsetFn(config.sourceTimezone);

  assertDataDir(config.dataDir);
  let client: pg.Client | null = null;
  let targetStates = new Map<string, TargetTableState>();
  // Where an unfinished run of this instance resumes each table: rows before it meet nothing (profile.ts, loadedUpTo).
  let resumeAt = new Map<string, bigint>();
  let past: PastRuns | null = null;
  let serverVersion = '';
  try {
    if (config.target !== null && opts.inventoryOnly !== true) {
      client = await connectTarget(config.target, 'aragora-migrate plan');
      serverVersion =
        (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '';
      const targets = [...new Set(mappings.stores.flatMap((s) => s.tables.map((t) => t.target)))];
      targetStates = await inspectTarget(client, config.schema, targets);
      // The ledger's runs, read once: what migrate would decide (run-findings.ts) and where it resumes.
      past = (await ledgerExists(client)) ? await pastRuns(client, config) : null;
      resumeAt = past === null ? new Map() : await resumePositions(client, past);
      const missing = await schemaMissing(client, config.schema);
      if (missing !== null) findings.add(missing);
      for (const unfit of [await targetReadOnly(client), await targetEncodingUnfit(client)])
        if (unfit !== null) findings.add(unfit);
    }

    const runPrior = new RunPrior(offsetOf);
    const visit = async (file: SourceFile, snapshot: Snapshot): Promise<void> => {
      const first = tables.length;
      // Referenced tables are profiled before the tables referencing them, as
      // migrate loads them: a parent row plan rejects leaves its children orphans.
      const rejectedRowids = new Map<string, readonly bigint[]>();
      for (const obj of parentsFirst(file, mappings, targetStates)) {
        if (obj.type !== 'table' || obj.skipReason !== null) continue;
        const mapped = mappings.bySource.get(obj.name);
        if (mapped === undefined) {
          findings.add({
            file: file.path,
            table: obj.name,
            column: null,
            kind: 'unmapped_table',
            action: 'skip',
            count: obj.rows ?? 0,
            message: 'no mapping names this table: it is not migrated',
          });
          tables.push(emptyTable(file, obj, 'unmapped', 'no mapping names this table'));
          continue;
        }
        if (opts.inventoryOnly === true) continue;
        // Its rows cannot be read in order: discover's rowid_hidden finding blocks it (src/source/rowid.ts).
        if (rowidName(obj.columns.map((c) => c.name)) === null) {
          tables.push({
            ...emptyTable(file, obj, 'skipped', 'columns named rowid, _rowid_ and oid hide its row ids'),
            status: 'blocked',
          });
          continue;
        }
        const spec0 = withUnmappedColumns(mapped.table, obj, file.path, findings);
        const present = new Set(obj.columns.filter((c) => !c.hidden).map((c) => c.name));
        const state = targetStates.get(spec0.target) ?? null;
        // An existing table is judged by the values it is to hold, as migrate does (target-fit.ts).
        const judged =
          state === null
            ? null
            : judgeColumns(
                spec0,
                state,
                narrowColumnValues(snapshot.db, spec0, state, present),
                config.widenColumns,
                present,
              );
        for (const p of judged?.problems ?? []) {
          findings.add({
            file: file.path,
            table: obj.name,
            column: p.column,
            kind: p.code === 'TARGET_INCOMPATIBLE' ? 'type_mismatch' : 'precision_loss',
            action: 'block',
            count: p.count,
            keys: p.keys,
            code: p.code,
            message: p.message,
          });
        }
        for (const w of judged?.widen ?? []) {
          findings.add({
            file: file.path,
            table: obj.name,
            column: w.column,
            kind: 'column_widened',
            action: 'keep',
            count: 1,
            message: `--widen-columns: ALTER TABLE ${spec0.target} ALTER COLUMN ${w.column} TYPE ${w.to} (from ${w.from}) rewrites the table (${state?.rows ?? 0} rows, ${formatBytes(state?.bytes ?? 0)}) under an exclusive lock: the application, and the other instance, wait on ${spec0.target} until it is done`,
          });
        }
        const spec = state === null ? spec0 : fitSpec(spec0, widened(state, judged?.widen ?? []));
        const sourceColumns = [...present];
        const fetchRaw = rawTextReader(snapshot.db, obj.name);
        const plain = compileTable(spec, sourceColumns, { offsetOf, fetchRaw });
        const blockedByTarget = (judged?.problems.length ?? 0) > 0;
        // A target table that cannot take the source is refused before any of its rows is judged
        // (TARGET_INCOMPATIBLE): its rows are not asked of it, whose types they may not fit.
        const against = blockedByTarget ? null : client;
        // Rows under a foreign key the target declares that will find no parent: rejected, as migrate will.
        const orphans: OrphanFilter[] = [];
        if (against !== null && state !== null && state.exists) {
          for (const fk of state.foreignKeys) {
            const filter = await missingParents(
              against,
              snapshot.db,
              spec,
              plain,
              fk,
              sourceParentOf(file, fk, mappings, rejectedRowids),
            );
            if (filter !== null && filter.missing.length > 0) orphans.push(filter);
          }
        }
        // Rows whose key no index entry holds: rejected, as migrate will.
        const oversized = await oversizedKeys(client, snapshot.db, spec, plain);
        const compiled = compileTable(spec, sourceColumns, { offsetOf, fetchRaw, orphans, oversizedKeys: oversized });
        for (const c of compiled.missingColumns) {
          findings.add({
            file: file.path,
            table: obj.name,
            column: c.name,
            kind: 'missing_column',
            action: 'repair',
            count: obj.rows ?? 0,
            message: `the source table has no column ${c.name} (an older schema): every row gets ${JSON.stringify(c.whenMissing)}`,
          });
        }
        for (const c of compiled.unsatisfiedColumns) {
          findings.add({
            file: file.path,
            table: obj.name,
            column: c.name,
            kind: 'missing_column',
            action: 'block',
            count: obj.rows ?? 0,
            code: 'PLAN_BLOCKED',
            message: `the source table has no column ${c.name} and the mapping gives no whenMissing value`,
          });
        }
        const conflicts = { count: 0 };
        const inTarget =
          against !== null && state !== null && state.exists && state.rows > 0
            ? targetKeyHits(against, config.schema, spec, state, compiled.targetColumns)
            : undefined;
        const sameKeys = SameKeys.of(snapshot.db, obj, compiled);
        const conflict = conflictRecorder(spec, file.path, findings, conflicts, config.instance);
        // The target's CHECK constraints and unique indexes, judged on the rows the load would write, as a new run refuses them.
        const checks =
          against !== null && state !== null && state.exists
            ? checkBreaks(against, spec.target, state, compiled.targetColumns)
            : undefined;
        const meets =
          against !== null && state !== null && state.exists
            ? uniqueHits(against, config.schema, spec, state, compiled.targetColumns)
            : undefined;
        // In the `both` layout an earlier file of the run fills this target first: its rows are met too (src/pipeline/shared/run-prior.ts).
        const prior = runPrior.before(spec.target);
        const sums =
          against !== null && state !== null
            ? await mergeOverflows(against, config.schema, spec, state, compiled.targetColumns, prior?.rows)
            : undefined;
        const ids =
          against !== null && state !== null
            ? await IdRoom.of(
                against,
                config.schema,
                spec,
                state,
                compiled.targetColumns,
                snapshot.db,
                obj.rows ?? 0,
                prior,
              )
            : undefined;
        const overflowed = new ConstraintTally(
          'merge_overflow',
          // The table the run creates takes the mapping's type.
          (column) => `${column} ${state?.columns.get(column) ?? createdColumnType(spec, column) ?? ''}`,
          'TARGET_MERGE_OUT_OF_RANGE',
        );
        const broken = new ConstraintTally('check_violation', (name) => {
          const check = state?.checks.find((c) => c.name === name);
          return `${name} CHECK (${check?.expression ?? '?'})`;
        });
        const collided = new ConstraintTally('unique_violation', (name) => {
          const unique = state?.uniques.find((u) => u.name === name);
          return `${name} (${unique?.columns.join(', ') ?? '?'})`;
        });
        const onPage =
          inTarget === undefined
          && sameKeys === null
          && checks === undefined
          && meets === undefined
          && sums === undefined
          && ids === undefined
            ? undefined
            : async (page: ConvertedPage): Promise<void> => {
                const hits = inTarget === undefined ? [] : await inTarget(page);
                conflict(page, hits, false);
                // A row whose key the target holds is settled against the target: counted once, above.
                const met = new Set(hits);
                conflict(
                  page,
                  page.repeats.filter((i) => !met.has(i)),
                  true,
                );
                const written = writtenRows(page, spec.conflict.policy, hits);
                if (checks !== undefined) await broken.count(page, () => checks(page, written));
                if (meets !== undefined) await collided.count(page, () => meets(page, written));
                // Only rows whose key the target holds are merged: the others meet no row to sum into.
                if (sums !== undefined) await overflowed.count(page, () => sums(page, hits));
                await ids?.count(page, hits);
              };

        reporter.emit('table:start', { file: file.path, table: obj.name, rows: obj.rows ?? 0 });
        let profile: Awaited<ReturnType<typeof profileTable>>;
        try {
          profile = await profileTable(snapshot.db, compiled, {
            file: file.path,
            pageRows: opts.pageRows ?? 5000,
            pageBytes: opts.pageBytes ?? DEFAULTS.batchBytes,
            reporter,
            findings,
            ...(onPage !== undefined
              ? {
                  onPage,
                  everyRow:
                    inTarget !== undefined
                    || checks !== undefined
                    || meets !== undefined
                    || sums !== undefined
                    || ids !== undefined,
                  sameKeys,
                }
              : {}),
            ...(resumeAt.has(`${file.path}\0${obj.name}`)
              ? { loadedUpTo: resumeAt.get(`${file.path}\0${obj.name}`) as bigint }
              : {}),
          });
        } catch (err: unknown) {
          // A page SQLite cannot read: the file is damaged, as migrate would find.
          const damage = sourceDamage(err, file.path);
          if (damage === null) throw err;
          findings.add({
            file: file.path,
            table: obj.name,
            column: null,
            kind: 'corrupt_file',
            action: 'block',
            code: damage.code,
            message: damage.message,
          });
          tables.push({ ...emptyTable(file, obj, 'skipped', damage.message), status: 'blocked' });
          continue;
        } finally {
          sameKeys?.close();
        }
        reporter.emit('table:done', { file: file.path, table: obj.name, rows: profile.rowsRead, ms: profile.ms });
        // What this table leaves in its target, for a later file of the run that loads into it too.
        const { surrogateKey } = spec;
        const top = ids?.top() ?? (surrogateKey === undefined ? 0n : sourceMaxId(snapshot.db, obj.name, surrogateKey));
        runPrior.add(
          spec.target,
          { path: file.absPath, file: file.path, table: obj.name, spec, sourceColumns },
          () => top,
        );
        // As migrate holds its load to SQLite's count (allRowsRead, src/pipeline/migrate/load-tables.ts).
        const unread = profile.rowsRead !== (obj.rows ?? 0);
        if (unread)
          findings.add({
            file: file.path,
            table: obj.name,
            column: null,
            kind: 'rows_unread',
            count: Math.abs((obj.rows ?? 0) - profile.rowsRead),
            action: config.allowLive ? 'keep' : 'block',
            ...(config.allowLive ? {} : { code: 'SOURCE_ROWS_UNREAD' }),
            message: `read ${profile.rowsRead} row(s) of the ${obj.rows ?? 0} SQLite counts in the table${config.allowLive ? ' (--allow-live: the file changed while it was read)' : ''}`,
          });
        rejectedRowids.set(obj.name, profile.rejectedRowids);
        findOrphans(
          snapshot.db,
          spec,
          file,
          findings,
          (fk) =>
            state !== null
            && state.foreignKeys.some((k) => k.columns.join() === fk.columns.map((c) => targetName(spec, c)).join()),
          rejectedRowids,
        );

        for (const f of [
          ...broken.findings(file.path, obj.name, `break a CHECK constraint of ${spec.target}`),
          ...collided.findings(
            file.path,
            obj.name,
            `hold values that a row of ${spec.target} with another key holds under a unique index`,
          ),
          ...overflowed.findings(
            file.path,
            obj.name,
            `would merge into a row of ${spec.target} whose sum passes the column's type`,
          ),
        ])
          findings.add(f);
        const shortfall = ids?.shortfall() ?? null;
        if (shortfall !== null)
          findings.add({
            file: file.path,
            table: obj.name,
            column: spec.surrogateKey ?? null,
            kind: 'ids_exhausted',
            action: 'block',
            code: 'TARGET_IDS_EXHAUSTED',
            count: shortfall.needed,
            keys: shortfall.keys,
            message: `${shortfall.needed} row(s) whose id ${spec.target} holds would take a new id from its sequence, which has ${shortfall.room} left (its maximum is ${shortfall.sequenceMax}, past the highest id of the target and of the source)`,
          });
        const merged = spec.conflict.policy === 'keep-both' ? 0 : conflicts.count;
        const blocked =
          blockedByTarget
          || (unread && !config.allowLive)
          || compiled.unsatisfiedColumns.length > 0
          || broken.any
          || collided.any
          || overflowed.any
          || shortfall !== null
          || (merged > 0 && spec.conflict.policy === 'fail');
        tables.push({
          source: { file: file.path, table: obj.name },
          target: `${config.schema}.${spec.target}`,
          store: mapped.store.name,
          rowsRead: profile.rowsRead,
          rowsLoaded: profile.rowsRead - profile.rowsRejected - merged,
          rowsRejected: profile.rowsRejected,
          rowsMerged: merged,
          rowsRepaired: profile.rowsRepaired,
          bytes: profile.bytesRead,
          status: blocked ? 'blocked' : profile.rowsRejected > 0 ? 'rejects' : 'ready',
          reason: null,
          targetState:
            state === null
              ? null
              : {
                  exists: state.exists,
                  rows: state.rows,
                  addColumns: state.exists
                    ? spec.columns.map((c) => c.target ?? c.name).filter((c) => !state.columns.has(c))
                    : [],
                },
        });
      }
      const position = new Map(file.objects.map((o, i) => [o.name, i] as const));
      tables.push(
        ...tables
          .splice(first)
          .sort((a, b) => (position.get(a.source.table) ?? 0) - (position.get(b.source.table) ?? 0)),
      );
      for (const obj of file.objects) {
        if (obj.skipReason !== null && obj.type !== 'internal')
          tables.push(emptyTable(file, obj, 'skipped', obj.skipReason));
      }
    };

    // The rows to profile are known file by file, as discover reaches them: the phase's total grows with each table.
    reporter.emit('phase', { phase: opts.inventoryOnly === true ? 'reading' : 'profiling', rows: 0 });
    const result = await discover({ dataDir: config.dataDir, mappings, allowLive: config.allowLive }, visit);
    if (client !== null) {
      // The tables this data dir's rows go to, as migrate will ask (src/pipeline/shared/privileges.ts).
      // A table's target is reported `schema.name`.
      const nameOf = (t: TableReport): string | null => t.target?.slice(config.schema.length + 1) ?? null;
      const loadedInto = tables.flatMap((t) => nameOf(t) ?? []);
      const taken = await takenNames(client, config.schema, loadedInto);
      tables.forEach((t, i) => {
        if (taken.has(nameOf(t) ?? '')) tables[i] = { ...t, status: 'blocked' };
      });
      for (const [name, holder] of taken)
        findings.add({
          file: null,
          table: name,
          column: null,
          kind: 'target_name_taken',
          action: 'block',
          count: 1,
          code: 'TARGET_NAME_TAKEN',
          message: `${quoteIdent(config.schema)}.${quoteIdent(name)} is ${holder}, not a table: the rows have nowhere to go`,
        });
      // The files whose rows would load, as migrate counts them for RUN_ALREADY_LOADED.
      const withRows = new Set(tables.filter((t) => t.target !== null && t.rowsRead > 0).map((t) => t.source.file));
      const exists = (t: string): boolean | undefined => targetStates.get(t)?.exists;
      for (const f of await runFindings(client, config, past, result.files, withRows, exists)) findings.add(f);
      // One finding, as migrate gives one error: findings of one kind and place are counted together.
      const lacking = await missingPrivileges(client, config.schema, loadedInto);
      if (lacking.length > 0)
        findings.add({
          file: null,
          table: null,
          column: null,
          kind: 'target_privileges',
          action: 'block',
          count: lacking.length,
          code: 'TARGET_PERMISSION_DENIED',
          message: lacking.join('; '),
        });
    }
    const empty = opts.inventoryOnly === true ? null : noStoreFinding(result, config.dataDir, config.allowEmpty);
    const all = [...result.findings, ...findings.toArray(), ...(empty === null ? [] : [empty])];
    const files: FileReport[] = result.files.map((f) => toFileReport(f, mappings, config.schema));
    const migrating = tables.filter((t) => t.target !== null);
    const rows = migrating.reduce((n, t) => n + t.rowsRead, 0);
    const bytes = migrating.reduce((n, t) => n + t.bytes, 0);
    // discover lists; only a file it could not read (a blocking finding) makes it fail.
    const planned = planExitCode(all);
    const exitCode = opts.inventoryOnly === true && planned !== EXIT.REFUSED ? EXIT.OK : planned;
    return {
      command: opts.inventoryOnly === true ? 'discover' : 'plan',
      instance: config.instance,
      exitCode,
      dataDir: config.dataDir,
      target:
        config.target === null || client === null
          ? null
          : { dsn: config.target.display, schema: config.schema, serverVersion },
      tables,
      findings: all,
      files,
      estimate: opts.inventoryOnly === true ? null : estimate(rows, bytes, migrating.length),
      runbook:
        opts.inventoryOnly === true ? [] : buildRunbook(config, exitCode, { auto: hasAutoTables(opts.mappings) }),
    };
  } finally {
    await client?.end().catch(() => undefined);
  }
}

function estimate(rows: number, bytes: number, tables: number): PlanReport['estimate'] {
  const { load, verify } = estimateSeconds(rows, bytes, tables);
  return { rows, bytes, seconds: load, verifySeconds: verify, basis: ESTIMATE_BASIS };
}

function emptyTable(file: SourceFile, obj: SourceObject, status: 'skipped' | 'unmapped', reason: string): TableReport {
  return {
    source: { file: file.path, table: obj.name },
    target: null,
    store: null,
    rowsRead: 0,
    rowsLoaded: 0,
    rowsRejected: 0,
    rowsMerged: 0,
    rowsRepaired: 0,
    bytes: 0,
    status,
    reason,
    targetState: null,
  };
}

/** Source columns the mapping does not name are carried over with a derived type, never dropped. */
function withUnmappedColumns(
  mapped: TableSpec,
  obj: SourceObject,
  file: string,
  findings: FindingCollector,
): TableSpec {
  const { spec, extra } = effectiveSpec(mapped, obj);
  for (const c of extra) {
    findings.add({
      file,
      table: obj.name,
      column: c.name,
      kind: 'unmapped_column',
      action: 'keep',
      count: obj.rows ?? 0,
      message: `not in the mapping: carried over as ${c.type} (${c.note ?? ''})`,
    });
  }
  const columns = tooManyColumns(spec);
  if (columns !== null)
    findings.add({
      file,
      table: obj.name,
      column: null,
      kind: 'too_many_columns',
      action: 'block',
      count: 1,
      code: 'TARGET_TOO_MANY_COLUMNS',
      message: `${columns} columns: a PostgreSQL table holds at most ${MAX_TABLE_COLUMNS}`,
    });
  for (const name of tooLongNames(spec)) {
    findings.add({
      file,
      table: obj.name,
      column: name,
      kind: 'identifier_too_long',
      action: 'block',
      count: 1,
      code: 'TARGET_IDENTIFIER_TOO_LONG',
      message: `${Buffer.byteLength(name, 'utf8')} bytes: PostgreSQL would cut the name at 63 and could merge it with another column`,
    });
  }
  return spec;
}

/**
 * The SQLite table of the same file the referenced target table is loaded
 * from, with its columns in the key's order: its rows will be loaded before
 * the referencing ones.
 */
function sourceParentOf(
  file: SourceFile,
  fk: TargetForeignKey,
  mappings: MappingSet,
  rejected: ReadonlyMap<string, readonly bigint[]>,
): SourceParent | undefined {
  for (const obj of file.objects) {
    const spec = mappings.bySource.get(obj.name)?.table;
    if (obj.skipReason !== null || spec === undefined || spec.target !== fk.parent) continue;
    return sourceParent(obj.name, spec, fk, rejected.get(obj.name));
  }
  return undefined;
}

/**
 * The file's objects with every table after the tables it references (by a
 * foreign key of the mapping, or one the existing target table declares);
 * otherwise in their own order.
 */
function parentsFirst(
  file: SourceFile,
  mappings: MappingSet,
  states: ReadonlyMap<string, TargetTableState>,
): SourceObject[] {
  const sourceOf = new Map<string, string>();
  for (const o of file.objects) {
    const spec = mappings.bySource.get(o.name)?.table;
    if (spec !== undefined) sourceOf.set(spec.target, o.name);
  }
  const parents = (o: SourceObject): string[] => {
    const spec = mappings.bySource.get(o.name)?.table;
    if (spec === undefined) return [];
    const byTarget = (states.get(spec.target)?.foreignKeys ?? []).map((fk) => sourceOf.get(fk.parent) ?? '');
    return [...spec.foreignKeys.map((fk) => fk.references.table), ...byTarget];
  };
  return dependenciesFirst(file.objects, (o) => o.name, parents);
}

/**
 * Records rows that meet a key, in the target or (`earlier`) of an earlier
 * row of the same table once converted, as migrate's conflict policy will
 * settle them: counted, and a key_conflict finding each.
 */
function conflictRecorder(
  spec: TableSpec,
  file: string,
  findings: FindingCollector,
  counter: { count: number },
  instance: string,
): (page: ConvertedPage, rows: readonly number[], earlier: boolean) => void {
  const action = conflictAction(spec.conflict);
  const reason = spec.conflict.reason !== undefined ? ` (${spec.conflict.reason})` : '';
  const message = (met: string, incoming: string): string =>
    spec.conflict.policy === 'keep-both'
      ? rekeyedTextKey(spec) !== null
        ? `${met}: both rows are kept, ${incoming} is loaded as <id>~${instance}`
        : `${met}: both rows are kept, ${incoming} gets a new id`
      : spec.conflict.policy === 'keep-existing' && spec.conflict.warn === true
        ? `WARNING, review: ${met}, ${incoming} will not be loaded${reason}`
        : `${met}: resolved by the ${spec.conflict.policy} policy${reason}`;
  const inTarget = message('key already in the target', 'the incoming row');
  const inSource = message('key of an earlier row of the table once converted', 'the later row');
  return (page, rows, earlier) => {
    counter.count += rows.length;
    for (const i of rows) {
      findings.add({
        file,
        table: spec.source,
        column: null,
        kind: 'key_conflict',
        action,
        message: earlier ? inSource : inTarget,
        key: page.keys[i] ?? null,
        ...(action === 'block' ? { code: 'TARGET_CONFLICT' } : {}),
      });
    }
  };
}
