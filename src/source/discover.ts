import { basename, join } from 'node:path';
import type { MappingSet } from '../mapping/load.js';
import { openSnapshot, type Snapshot } from './snapshot.js';
import type { Finding } from '../findings/finding.js';
import { findHolders, type FileHolder } from './holders.js';
import { inventory, NOT_UTF8, type SourceObject } from './inventory.js';
import { sideFileBytes, sniffFile, walFrames, type Sniff } from './sniff.js';
import { DB_NAME, walkDataDir } from './walk.js';
import { rowidName } from './rowid.js';

export type FileStatus = 'ok' | 'empty' | 'not_sqlite' | 'corrupt' | 'busy' | 'unreadable';
export type Layout = 'legacy' | 'consolidated' | 'unknown' | 'generic' | 'none';

export interface SourceFile {
  /** Relative to the data dir. */
  readonly path: string;
  readonly absPath: string;
  readonly layout: Layout;
  /** Aragora stores whose tables the file holds. */
  readonly stores: readonly string[];
  readonly sizeBytes: number;
  readonly walBytes: number;
  readonly walFrames: number;
  readonly status: FileStatus;
  readonly integrity: string | null;
  readonly holders: readonly FileHolder[];
  readonly objects: readonly SourceObject[];
  readonly sniff: Sniff;
}

export interface DiscoverOptions {
  readonly dataDir: string;
  readonly mappings: MappingSet;
  readonly allowLive?: boolean;
  /** Run PRAGMA quick_check (reads every page). */
  readonly integrity?: boolean;
  readonly tmpDir?: string;
  /** Keep each readable file's snapshot open and return it; the caller closes them. */
  readonly keepSnapshots?: boolean;
}

export interface DiscoverResult {
  readonly files: readonly SourceFile[];
  readonly findings: readonly Finding[];
  /** With `keepSnapshots`: relative path → open snapshot. */
  readonly snapshots: ReadonlyMap<string, Snapshot>;
}

/** Called while a file's snapshot is open, so later stages read the same image without a second copy. */
export type SnapshotVisitor = (file: SourceFile, snapshot: Snapshot) => Promise<void>;

function finding(
  f: Omit<Finding, 'exampleKeys' | 'column' | 'table'> & Partial<Pick<Finding, 'table' | 'column'>>,
): Finding {
  return { table: null, column: null, exampleKeys: [], ...f };
}

/** A file of the run that cannot be read whole: blocking, with the code plan and migrate share. */
function corruptFinding(file: string, message: string): Finding {
  return finding({ file, kind: 'corrupt_file', count: 1, action: 'block', code: 'SOURCE_CORRUPT', message });
}

export async function discover(opts: DiscoverOptions, visit?: SnapshotVisitor): Promise<DiscoverResult> {
  const files: SourceFile[] = [];
  const findings: Finding[] = [];
  const snapshots = new Map<string, Snapshot>();
  const legacyNames = new Set(opts.mappings.stores.flatMap((s) => s.files.legacy));
  const consolidatedNames = new Set(opts.mappings.stores.flatMap((s) => s.files.consolidated));

  const listing = walkDataDir(opts.dataDir);
  for (const u of listing.unreadable) {
    findings.push(
      finding({
        file: u.path,
        kind: 'source_unreadable',
        count: 1,
        action: 'block',
        code: 'SOURCE_UNREADABLE',
        message: `cannot be read (${u.error}): what it holds is unknown`,
      }),
    );
  }
  for (const link of listing.links.filter((l) => DB_NAME.test(l))) {
    findings.push(
      finding({
        file: link,
        kind: 'symlink_skipped',
        count: 1,
        action: 'skip',
        message:
          'a symbolic link: not followed (it could lead out of the data dir, or reach a file twice); put the file itself in the data dir to migrate it',
      }),
    );
  }
  for (const rel of listing.files) {
    const absPath = join(opts.dataDir, rel);
    const sniff = sniffFile(absPath);
    if (sniff.kind !== 'sqlite' && sniff.kind !== 'unreadable' && !DB_NAME.test(rel)) continue;
    const walBytes = sideFileBytes(`${absPath}-wal`);
    const base = {
      path: rel,
      absPath,
      sizeBytes: sniff.sizeBytes,
      walBytes,
      walFrames: walFrames(walBytes, sniff.pageSize),
      sniff,
      holders: [] as FileHolder[],
    };

    if (sniff.kind === 'unreadable') {
      files.push({ ...base, layout: 'none', stores: [], status: 'unreadable', integrity: null, objects: [] });
      findings.push(
        finding({
          file: rel,
          kind: 'source_unreadable',
          count: 1,
          action: 'block',
          code: 'SOURCE_UNREADABLE',
          message: `cannot be read (${sniff.error ?? 'unknown error'}): whether it holds an Aragora store is unknown`,
        }),
      );
      continue;
    }

    if (sniff.kind !== 'sqlite') {
      const status = sniff.kind === 'empty' ? 'empty' : 'not_sqlite';
      files.push({ ...base, layout: 'none', stores: [], status, integrity: null, objects: [] });
      const name = basename(rel);
      if (status === 'not_sqlite' && (legacyNames.has(name) || consolidatedNames.has(name))) {
        // A store's file whose header is gone would otherwise be skipped, and its rows lost without a word.
        findings.push(
          corruptFinding(
            rel,
            'named as an Aragora store file, but not an SQLite database (a damaged header, or another kind of file): its rows cannot be read',
          ),
        );
        continue;
      }
      findings.push(
        finding({
          file: rel,
          kind: 'not_sqlite',
          count: 1,
          action: 'skip',
          message:
            sniff.kind === 'empty'
              ? 'zero-byte file: no database in it, nothing to migrate'
              : 'not an SQLite database (wrong header): skipped',
        }),
      );
      continue;
    }

    const holders = findHolders([absPath, `${absPath}-wal`, `${absPath}-shm`]);
    if (holders.length > 0) {
      const who = holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ');
      findings.push(
        finding({
          file: rel,
          kind: 'source_busy',
          count: holders.length,
          action: opts.allowLive ? 'keep' : 'block',
          message: opts.allowLive
            ? `held open by ${who}; read anyway because of --allow-live: rows written after the snapshot are not included`
            : `held open by ${who}: stop the aragora service on this instance before migrating`,
        }),
      );
    }
    if (base.walFrames > 0) {
      findings.push(
        finding({
          file: rel,
          kind: 'wal_pending',
          count: base.walFrames,
          action: 'keep',
          message: `${base.walFrames} page(s) of committed changes are only in ${basename(rel)}-wal; they are read through a private snapshot copy, the source is not checkpointed`,
        }),
      );
    }

    // A file SQLite cannot open or list is blocking: a corrupt file, with SQLite's own words.
    const corrupt = (err: unknown): void => {
      files.push({
        ...base,
        holders,
        layout: 'none',
        stores: [],
        status: 'corrupt',
        integrity: errorText(err),
        objects: [],
      });
      findings.push(corruptFinding(rel, `cannot be read: ${errorText(err)}`));
    };
    let snapshot: Snapshot;
    try {
      snapshot = openSnapshot(absPath, sniff, opts.tmpDir);
    } catch (err: unknown) {
      corrupt(err);
      continue;
    }
    try {
      let objects: SourceObject[];
      let integrity: string | null = null;
      try {
        // A table the copy gave rowids to is still WITHOUT ROWID in the source: its key is no rowid.
        objects = inventory(snapshot.db).map((o) =>
          snapshot.rowidsGiven.includes(o.name) ? { ...o, withoutRowid: true } : o,
        );
        if (opts.integrity !== false) {
          const rows = snapshot.db.prepare('PRAGMA quick_check').pluck().all() as string[];
          integrity = rows.join('; ');
        }
      } catch (err: unknown) {
        corrupt(err);
        continue;
      }
      for (const t of snapshot.rowidsGiven) {
        findings.push(
          finding({
            file: rel,
            table: t,
            kind: 'without_rowid',
            count: 1,
            action: 'keep',
            message:
              'a WITHOUT ROWID table: read in primary-key order through a private copy, where each row gets its position as rowid',
          }),
        );
      }
      for (const o of objects) {
        if (o.type !== 'table' || !opts.mappings.bySource.has(o.name)) continue;
        if (o.skipReason === NOT_UTF8) {
          findings.push(
            finding({
              file: rel,
              table: o.name,
              kind: 'name_not_utf8',
              count: 1,
              action: 'block',
              code: 'SOURCE_NAME_NOT_UTF8',
              message: `a mapped table: ${NOT_UTF8}`,
            }),
          );
          continue;
        }
        if (o.skipReason !== null || rowidName(o.columns.map((c) => c.name)) !== null) continue;
        findings.push(
          finding({
            file: rel,
            table: o.name,
            kind: 'rowid_hidden',
            count: o.rows ?? 0,
            action: 'block',
            code: 'SOURCE_ROWID_HIDDEN',
            message:
              'columns named rowid, _rowid_ and oid hide the row ids the table is read in order by: its rows cannot be migrated',
          }),
        );
      }
      if (integrity !== null && integrity !== 'ok') {
        findings.push(corruptFinding(rel, `integrity check failed: ${integrity.slice(0, 300)}`));
      }
      const stores = [
        ...new Set(
          objects
            .filter((o) => o.type === 'table' && o.skipReason === null)
            .map((o) => opts.mappings.bySource.get(o.name)?.store.name)
            .filter((s): s is string => s !== undefined),
        ),
      ].sort();
      const name = basename(rel);
      const layout: Layout = legacyNames.has(name)
        ? 'legacy'
        : consolidatedNames.has(name)
          ? 'consolidated'
          : stores.length > 0
            ? 'unknown'
            : 'generic';
      const status: FileStatus =
        integrity !== null && integrity !== 'ok' ? 'corrupt' : holders.length > 0 ? 'busy' : 'ok';
      const file: SourceFile = { ...base, holders, layout, stores, status, integrity, objects };
      files.push(file);
      if (visit !== undefined && status !== 'corrupt') await visit(file, snapshot);
      if (opts.keepSnapshots === true && status !== 'corrupt') snapshots.set(rel, snapshot);
    } finally {
      if (!snapshots.has(rel)) snapshot.close();
    }
  }
  return { files, findings, snapshots };
}

/**
 * A data dir where no readable file holds a table of the mapping set (empty,
 * only links or other files) migrates nothing: refused unless the operator
 * says it is meant (`--allow-empty`), so a wrong path never ends green.
 */
export function noStoreFinding(
  scan: Pick<DiscoverResult, 'files'>,
  dataDir: string,
  allowEmpty: boolean,
): Finding | null {
  if (scan.files.some((f) => f.stores.length > 0 && (f.status === 'ok' || f.status === 'busy'))) return null;
  return finding({
    file: null,
    kind: 'no_store',
    count: 1,
    action: allowEmpty ? 'keep' : 'block',
    ...(allowEmpty ? {} : { code: 'SOURCE_NO_STORE' }),
    message: `no file in ${dataDir} holds a table of the mapping set: nothing would be migrated${allowEmpty ? ' (--allow-empty)' : ''}`,
  });
}

function errorText(err: unknown): string {
  const e = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return e instanceof Error ? e.message : String(e);
}
