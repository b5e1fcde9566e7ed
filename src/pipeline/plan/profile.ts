import type Database from 'better-sqlite3';
import type { FindingCollector } from '../../findings/collector.js';
import type { CompiledTable, RowOutcome } from '../../tables/row-converter.js';
import type { SameKeys } from './same-keys.js';
import type { Reporter } from '../../report/events.js';
import { readPages } from '../../source/read.js';

export interface TableProfile {
  readonly rowsRead: number;
  readonly rowsRejected: number;
  /** Rows loaded with at least one value repaired under a policy. */
  readonly rowsRepaired: number;
  readonly bytesRead: number;
  /** The rowids of the rejected rows: rows referencing them will find no parent. */
  readonly rejectedRowids: readonly bigint[];
  readonly ms: number;
}

/**
 * Loaded rows of one page, for checks of their keys: every row when the
 * target is checked (`ProfileOptions.everyRow`), else only the repeats.
 */
export interface ConvertedPage {
  /** Each row's key as it loads (targetKey). */
  readonly keys: string[];
  readonly outcomes: RowOutcome[];
  /** The rows (indexes into keys) whose key an earlier row of the table has once converted (ProfileOptions.sameKeys). */
  readonly repeats: number[];
}

export interface ProfileOptions {
  readonly file: string;
  readonly pageRows: number;
  readonly pageBytes: number;
  readonly reporter: Reporter;
  readonly findings: FindingCollector;
  readonly onPage?: (page: ConvertedPage) => Promise<void>;
  /** Every loaded row goes to onPage, not only the repeats. */
  readonly everyRow?: boolean;
  readonly sameKeys?: SameKeys | null;
  /**
   * Rows up to this rowid an unfinished run committed already: its resume
   * reads on after them, so they meet nothing in the target (onPage never
   * sees them). Their repairs and rejects still count, as the resumed run's
   * report counts them.
   */
  readonly loadedUpTo?: bigint;
}

/**
 * Runs every row of a table through the converters `migrate` uses, without
 * writing anything, and counts what would be repaired or rejected.
 */
export async function profileTable(
  db: Database.Database,
  compiled: CompiledTable,
  opts: ProfileOptions,
): Promise<TableProfile> {
  const started = Date.now();
  const table = compiled.spec.source;
  let rowsRead = 0;
  let rowsRejected = 0;
  let rowsRepaired = 0;
  let bytesRead = 0;
  const rejectedRowids: bigint[] = [];
  for (const page of readPages(db, table, compiled.selectColumns, {
    maxRows: opts.pageRows,
    maxBytes: opts.pageBytes,
    // As migrate reads them: a huge value in slices, through the same converter path.
    sliceable: compiled.sliceable,
  })) {
    const keys: string[] = [];
    const outcomes: RowOutcome[] = [];
    const repeats: number[] = [];
    for (const raw of page.rows) {
      const out = compiled.convertRow(raw);
      rowsRead++;
      const key = out.reject === null && out.repairs.length === 0 ? null : compiled.keyOf(raw, out.values);
      if (out.reject !== null) {
        rowsRejected++;
        rejectedRowids.push(raw[0] as bigint);
        opts.findings.add({
          file: opts.file,
          table,
          column: out.reject.column,
          kind: out.reject.kind,
          action: 'reject',
          message: out.reject.message,
          key,
        });
        continue;
      }
      if (out.repairs.length > 0) {
        rowsRepaired++;
        for (const r of out.repairs) {
          opts.findings.add({
            file: opts.file,
            table,
            column: r.column,
            kind: r.kind,
            action: 'repair',
            message: r.message,
            key,
          });
        }
      }
      const repeat = opts.sameKeys?.repeated(raw, out) === true;
      const loaded = opts.loadedUpTo !== undefined && (raw[0] as bigint) <= opts.loadedUpTo;
      if (opts.onPage !== undefined && !loaded && (repeat || opts.everyRow === true)) {
        if (repeat) repeats.push(keys.length);
        keys.push(compiled.keyOf(raw, out.values));
        outcomes.push(out);
      }
    }
    bytesRead += page.bytes;
    if (opts.onPage !== undefined && outcomes.length > 0) await opts.onPage({ keys, outcomes, repeats });
    opts.reporter.emit('table:rows', { file: opts.file, table, done: rowsRead, bytes: bytesRead });
  }
  return { rowsRead, rowsRejected, rowsRepaired, bytesRead, rejectedRowids, ms: Date.now() - started };
}
