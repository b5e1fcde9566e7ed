import type { FileStatus, Layout, SourceFile } from '../source/discover.js';
import { EXIT } from '../errors.js';
import type { MappingSet } from '../mapping/load.js';
import type { ObjectType } from '../source/inventory.js';
import type { Finding } from '../findings/finding.js';

/** Per source table, in every report (`plan`, `migrate`, `verify`). */
export interface TableReport {
  readonly source: { readonly file: string; readonly table: string };
  /** `schema.table`, or null when the table is not migrated. */
  readonly target: string | null;
  readonly store: string | null;
  readonly rowsRead: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  /** Resolved by a conflict policy (not inserted as a new row). */
  readonly rowsMerged: number;
  /** Loaded with at least one value repaired under a policy. */
  readonly rowsRepaired: number;
  readonly bytes: number;
  readonly status: 'ready' | 'rejects' | 'blocked' | 'skipped' | 'unmapped';
  readonly reason: string | null;
  /** With a DSN: what the target already holds. */
  readonly targetState: {
    readonly exists: boolean;
    readonly rows: number;
    readonly addColumns: readonly string[];
  } | null;
}

export interface FileReport {
  readonly path: string;
  readonly layout: Layout;
  readonly stores: readonly string[];
  readonly sizeBytes: number;
  readonly walBytes: number;
  readonly status: FileStatus;
  readonly integrity: string | null;
  readonly objects: readonly {
    readonly name: string;
    readonly type: ObjectType;
    readonly rows: number | null;
    readonly skipReason: string | null;
    /** `schema.table` the mapping sends it to; null when unmapped or skipped. */
    readonly mappedTo: string | null;
  }[];
}

export interface PlanReport {
  readonly command: 'plan' | 'discover';
  readonly instance: string;
  readonly exitCode: PlanExitCode;
  readonly dataDir: string;
  readonly target: { readonly dsn: string; readonly schema: string; readonly serverVersion: string } | null;
  readonly tables: readonly TableReport[];
  readonly findings: readonly Finding[];
  readonly files: readonly FileReport[];
  readonly estimate: {
    readonly rows: number;
    readonly bytes: number;
    readonly seconds: number;
    readonly verifySeconds: number;
    readonly basis: string;
  } | null;
  readonly runbook: readonly string[];
}

/** A discovered file as reports show it, each table with the target its mapping names. */
export function toFileReport(f: SourceFile, mappings: MappingSet, schema: string): FileReport {
  const mappedTo = (table: string): string | null => {
    const m = mappings.bySource.get(table);
    return m === undefined ? null : `${schema}.${m.table.target}`;
  };
  return {
    path: f.path,
    layout: f.layout,
    stores: f.stores,
    sizeBytes: f.sizeBytes,
    walBytes: f.walBytes,
    status: f.status,
    integrity: f.integrity,
    objects: f.objects.map((o) => ({
      name: o.name,
      type: o.type,
      rows: o.rows,
      skipReason: o.skipReason,
      mappedTo: o.skipReason === null ? mappedTo(o.name) : null,
    })),
  };
}

/** plan: 0 go, 3 some rows would be rejected, 5 blocked; discover: 0, or 5 when a file could not be read. */
export type PlanExitCode = typeof EXIT.OK | typeof EXIT.REJECTED_ROWS | typeof EXIT.REFUSED;

/** 5 when a finding blocks, 3 when rows would be rejected, else 0: the exit code migrate would end with (docs/commands.md, `plan`). */
export function planExitCode(findings: readonly Finding[]): PlanExitCode {
  if (findings.some((f) => f.action === 'block')) return EXIT.REFUSED;
  if (findings.some((f) => f.action === 'reject')) return EXIT.REJECTED_ROWS;
  return EXIT.OK;
}
